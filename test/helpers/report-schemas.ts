/**
 * Validators for the CI gate's machine-readable reports, against the schemas in test/data/schemas (see
 * its README for their origin): SARIF 2.1.0 with ajv, JUnit XML against the Ant JUnit XSD with xmllint.
 * Each answers the list of errors, empty when the document is valid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { validateXML } from 'xmllint-wasm';

const SCHEMAS = join(import.meta.dirname, '..', 'data', 'schemas');

/** The SARIF schema as published: draft-04. */
export const sarifSchema = JSON.parse(readFileSync(join(SCHEMAS, 'sarif-2.1.0.json'), 'utf8')) as Record<string, unknown>;

// No keyword of the SARIF schema changed meaning between draft-04 and draft-07 (ci-format.test.ts checks
// there is no boolean exclusiveMinimum), so ajv's draft-07 validator reads it once `id` is spelled `$id`
// and the draft-04 meta-schema is not asked for. Its `language` pattern has a stray `]` that only a
// non-Unicode RegExp accepts, as JSON Schema's ECMA 262 regular expressions did.
const { $schema: _draft, id, ...rest } = sarifSchema;
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats.default(ajv);
const sarif = ajv.compile({ ...rest, $id: String(id) });

export function validateSarif(log: unknown): string[] {
  if (sarif(log)) return [];
  return (sarif.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

const junitXsd = readFileSync(join(SCHEMAS, 'JUnit.xsd'), 'utf8');

export async function validateJunit(xml: string): Promise<string[]> {
  const r = await validateXML({ xml: { fileName: 'report.xml', contents: xml }, schema: { fileName: 'JUnit.xsd', contents: junitXsd } });
  return r.valid ? [] : r.errors.map((e) => e.message);
}
