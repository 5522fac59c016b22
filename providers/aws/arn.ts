/**
 * ARNs: `arn:partition:service:region:account:resource`, where the resource part keeps any further colons.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits an ARN into its six parts, or returns undefined when it has fewer than six. */
export function splitArn(value: string): Arn | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let k = 0; k < 5; k++) {
    const at = value.indexOf(':', start);
    if (at === -1) return undefined;
    parts.push(value.slice(start, at));
    start = at + 1;
  }
  if (parts[0] !== 'arn') return undefined;
  return { partition: parts[1]!, service: parts[2]!, region: parts[3]!, account: parts[4]!, resource: value.slice(start) };
}

/** An ARN given in a request, split into its parts; or the reason it is unusable. */
export function parseArn(value: string): Arn | string {
  const arn = splitArn(value);
  if (!arn) return `'${value}' is not an ARN (expected arn:partition:service:region:account:resource)`;
  if (!/^aws(-[a-z]+)*$/.test(arn.partition)) return `'${arn.partition}' is not an AWS partition`;
  if (!/^[a-z0-9-]+$/.test(arn.service)) return `'${arn.service}' is not a service namespace`;
  if (arn.account !== '' && arn.account !== 'aws' && !/^[0-9]{12}$/.test(arn.account)) {
    return `the account segment '${arn.account}' is not a 12-digit account id`;
  }
  if (arn.resource === '') return 'the resource part of the ARN is empty';
  return arn;
}

/** The reason an ARN given in a request is unusable, or undefined when it is fine. */
export function arnProblem(value: string): string | undefined {
  const arn = parseArn(value);
  return typeof arn === 'string' ? arn : undefined;
}

export function isAccountId(value: string): boolean {
  return /^[0-9]{12}$/.test(value);
}
