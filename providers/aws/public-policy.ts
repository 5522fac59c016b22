/**
 * Is a bucket policy "public" in the sense of S3 Block Public Access? Any Allow to a wildcard principal
 * is public unless a condition pins the caller to fixed values of the keys S3 accepts.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
 * https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/S3/TPublicAccessBlockConfiguration.html
 */
import type { CompiledCondition } from './conditions.js';
import type { CompiledPolicy, CompiledStatement } from './policy.js';

const PINNING_KEYS = new Set([
  'aws:sourcearn', 'aws:sourcevpc', 'aws:sourcevpce', 'aws:sourceowner', 'aws:sourceaccount',
  's3:x-amz-server-side-encryption-aws-kms-key-id', 'aws:userid', 'aws:principalorgid',
  'aws:principalaccount', 'aws:principalarn', 's3:dataaccesspointarn', 's3:dataaccesspointaccount',
]);

function pinsCaller(c: CompiledCondition): boolean {
  if (c.spec.negated || c.ifExists || c.set !== null) return false;
  if (c.lowerKey === 'aws:sourceip') return c.spec.family === 'ip' && c.values.every((v) => !/\/0$/.test(v.raw));
  if (!PINNING_KEYS.has(c.lowerKey)) return false;
  if (!['string', 'stringIgnoreCase', 'stringLike', 'arn'].includes(c.spec.family)) return false;
  return c.values.every((v) => {
    if (v.raw.includes('*') || v.raw.includes('?')) return false;
    // aws:userid of the form AROLEID:* names every session of a role: still public.
    return !(c.lowerKey === 'aws:userid' && /:\*$/.test(v.raw));
  });
}

function isWildcardGrant(st: CompiledStatement): boolean {
  if (st.effect !== 'Allow' || !st.principals) return false;
  if (st.notPrincipal) return true;
  return st.principals.some((p) => p.type === '*' || (p.type === 'AWS' && p.value === '*'));
}

export function isPublicStatement(st: CompiledStatement): boolean {
  return isWildcardGrant(st) && !st.conditions.some(pinsCaller);
}

export function isPublicPolicy(p: CompiledPolicy): boolean {
  return p.statements.some(isPublicStatement);
}
