import { describe, expect, it } from 'vitest';
import { AbacSyntaxError, attributeKey, evaluateAbac, parseAbac } from '../../providers/azure/abac.js';
import type { AbacInput } from '../../providers/azure/abac.js';
import { builtInRoles } from '../../providers/azure/catalog.js';

const BLOB_READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';
const BLOB_WRITE = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write';
const CONTAINER = '@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]';
const PROJECT_TAG = '@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>]';

function run(text: string, input: Partial<AbacInput>) {
  return evaluateAbac(parseAbac(text), { action: BLOB_READ, attributes: {}, unknown: new Set(), ...input });
}
const value = (text: string, input: Partial<AbacInput> = {}) => run(text, input).value;

describe('documented condition shapes (conditions-format)', () => {
  // Simple condition: read blobs only in container blobs-example-container.
  const simple = `(
    (
        !(ActionMatches{'${BLOB_READ}'})
    )
    OR
    (
        ${CONTAINER}
        StringEquals 'blobs-example-container'
    )
)`;

  it('lets non-targeted actions through and checks the expression for the targeted one', () => {
    expect(value(simple, { action: BLOB_WRITE })).toBe(true);
    expect(value(simple, { attributes: { [CONTAINER]: 'blobs-example-container' } })).toBe(true);
    expect(value(simple, { attributes: { [CONTAINER]: 'other' } })).toBe(false);
    expect(parseAbac(simple).attributes).toEqual([CONTAINER]);
  });

  it('targets reads except List with NOT SubOperationMatches', () => {
    const c = `((!(ActionMatches{'${BLOB_READ}'} AND NOT SubOperationMatches{'Blob.List'})) OR (${PROJECT_TAG} StringEquals 'Cascade'))`;
    expect(value(c, { subOperation: 'Blob.List' })).toBe(true); // listing is not targeted
    expect(value(c, { attributes: { [PROJECT_TAG]: 'Cascade' } })).toBe(true);
    expect(value(c, { attributes: { [PROJECT_TAG]: 'Baker' } })).toBe(false);
  });

  it('reads @Request[subOperation] in the older syntax', () => {
    const c = `!(ActionMatches{'${BLOB_READ}'} AND @Request[subOperation] ForAnyOfAnyValues:StringEqualsIgnoreCase {'Blob.List'})`;
    expect(value(c, { subOperation: 'Blob.List' })).toBe(false);
    // A plain read carries no suboperation: the comparison is false, so the read is not targeted.
    expect(value(c, {})).toBe(true);
    expect(value(c, { action: BLOB_WRITE })).toBe(true);
  });

  it('matches actions with role-action wildcards', () => {
    expect(value(`ActionMatches{'Microsoft.Authorization/roleAssignments/*'}`, { action: 'Microsoft.Authorization/roleAssignments/write' })).toBe(true);
    expect(value(`ActionMatches{'Microsoft.Authorization/roleDefinitions/*'}`, { action: 'Microsoft.Authorization/roleAssignments/write' })).toBe(false);
    expect(value(`ActionMatches{'microsoft.storage/*/READ'}`)).toBe(true);
  });

  it('parses every condition in the built-in role catalogue', () => {
    let count = 0;
    for (const role of builtInRoles()) {
      for (const block of role.permissions) {
        if (!block.condition) continue;
        const parsed = parseAbac(block.condition, block.conditionVersion);
        expect(parsed.attributes.length).toBeGreaterThan(0);
        count++;
      }
    }
    expect(count).toBeGreaterThan(25);
  });

  it('evaluates a built-in delegation condition (GUIDs without dashes, lower-case operators)', () => {
    const role = builtInRoles().find((r) => r.roleName === 'Azure Sphere Owner')!;
    const write = role.permissions.map((p) => p.condition).find((c) => c?.startsWith('@Request'))!;
    const rd = '@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]';
    const input = { action: 'Microsoft.Authorization/roleAssignments/write' };
    expect(value(write, { ...input, attributes: { [rd]: '8B9DFCAB-4B77-4632-A6DF-94BD07820648' } })).toBe(true);
    expect(value(write, { ...input, attributes: { [rd]: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/8b9dfcab4b774632a6df94bd07820648' } })).toBe(true);
    expect(value(write, { ...input, attributes: { [rd]: 'acdd72a7-3385-48ef-bd42-f606fba81ae7' } })).toBe(false);
    const obo = '@Resource[HasObotoken] boolequals true && (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {de754d53-652d-4c75-a67f-1e48d8b49c97})';
    expect(value(obo, { ...input, attributes: { '@Resource[HasObotoken]': true, [rd]: 'de754d53-652d-4c75-a67f-1e48d8b49c97' } })).toBe(true);
    expect(value(obo, { ...input, attributes: { '@Resource[HasObotoken]': false, [rd]: 'de754d53-652d-4c75-a67f-1e48d8b49c97' } })).toBe(false);
  });
});

describe('operators', () => {
  const name = '@Resource[name1]';
  const has = (text: string, actual: unknown) => value(text, { attributes: { [name]: actual } });

  it('strings: case-sensitive base forms, IgnoreCase variants, StartsWith, Like with escapes', () => {
    expect(has(`${name} StringEquals 'Abc'`, 'Abc')).toBe(true);
    expect(has(`${name} StringEquals 'abc'`, 'Abc')).toBe(false);
    expect(has(`${name} StringEqualsIgnoreCase 'abc'`, 'Abc')).toBe(true);
    expect(has(`${name} StringNotEquals 'abc'`, 'Abc')).toBe(true);
    expect(has(`${name} StringNotEqualsIgnoreCase 'abc'`, 'Abc')).toBe(false);
    expect(has(`${name} StringStartsWith 'readonly/'`, 'readonly/a.txt')).toBe(true);
    expect(has(`${name} StringNotStartsWith 'readonly/'`, 'readonly/a.txt')).toBe(false);
    expect(has(`${name} StringStartsWithIgnoreCase 'READONLY/'`, 'readonly/a.txt')).toBe(true);
    // Examples from the docs: 'a*c?' matches abcd, 'A*C?' does not, 'a*c' does not.
    expect(has(`${name} StringLike 'a*c?'`, 'abcd')).toBe(true);
    expect(has(`${name} StringLike 'A*C?'`, 'abcd')).toBe(false);
    expect(has(`${name} StringLikeIgnoreCase 'A*C?'`, 'abcd')).toBe(true);
    expect(has(`${name} StringLike 'a*c'`, 'abcd')).toBe(false);
    expect(has(`${name} StringLike 'a\\*'`, 'a*')).toBe(true);
    expect(has(`${name} StringLike 'a\\*'`, 'ab')).toBe(false);
    expect(has(`${name} StringNotLike 'a*'`, 'ab')).toBe(false);
  });

  it('numbers, booleans, GUIDs and date-times', () => {
    expect(has(`${name} NumericGreaterThan 5`, 6)).toBe(true);
    expect(has(`${name} NumericGreaterThanEquals 6`, '6')).toBe(true);
    expect(has(`${name} NumericLessThan 5`, 5)).toBe(false);
    expect(has(`${name} NumericLessThanEquals -1`, -1)).toBe(true);
    expect(has(`${name} NumericNotEquals 5`, 5)).toBe(false);
    expect(has(`${name} BoolEquals true`, true)).toBe(true);
    expect(has(`${name} BoolNotEquals true`, 'false')).toBe(true);
    expect(has(`${name} GuidEquals 2A2B9908-6EA1-4AE2-8E65-A410DF84E7D1`, '2a2b99086ea14ae28e65a410df84e7d1')).toBe(true);
    expect(has(`${name} GuidNotEquals 2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`, '2a2b9908-6ea1-4ae2-8e65-a410df84e7d2')).toBe(true);
    // Full precision: 100 ns ticks beyond JavaScript's milliseconds.
    expect(has(`${name} DateTimeGreaterThan '2022-06-01T00:00:00.0000001Z'`, '2022-06-01T00:00:00.0000002Z')).toBe(true);
    expect(has(`${name} DateTimeEquals '2022-06-01T00:00:00.0Z'`, '2022-06-01T00:00:00.0000000Z')).toBe(true);
    expect(has(`${name} DateTimeLessThan '2023-01-01T00:00:00Z'`, new Date('2022-12-31T23:59:59Z'))).toBe(true);
    expect(has(`${name} DateTimeNotEquals '2022-06-01T00:00:00Z'`, '2022-06-01T00:00:00Z')).toBe(false);
  });

  it('a value of the wrong type makes the expression false, with a note', () => {
    const r = run(`${name} NumericEquals 5`, { attributes: { [name]: 'five' } });
    expect(r.value).toBe(false);
    expect(r.trace[0]!.note).toMatch(/type mismatch/);
  });

  it('compares two attributes', () => {
    const principal = '@Principal[Microsoft.Directory/CustomSecurityAttributes/Id:Engineering_Project]';
    const c = `${PROJECT_TAG} StringEquals ${principal}`;
    expect(value(c, { attributes: { [PROJECT_TAG]: 'Cascade', [principal]: 'Cascade' } })).toBe(true);
    expect(value(c, { attributes: { [PROJECT_TAG]: 'Cascade', [principal]: 'Baker' } })).toBe(false);
  });
});

describe('cross-product quantifiers (documented examples)', () => {
  it.each([
    [`{'red', 'blue'} ForAnyOfAnyValues:StringEquals {'blue', 'green'}`, true],
    [`{'red', 'blue'} ForAnyOfAnyValues:StringEquals {'orange', 'green'}`, false],
    [`{'red', 'blue'} ForAllOfAnyValues:StringEquals {'orange', 'red', 'blue'}`, true],
    [`{'red', 'blue'} ForAllOfAnyValues:StringEquals {'red', 'green'}`, false],
    [`{10, 20} ForAnyOfAllValues:NumericLessThan {15, 18}`, true],
    [`{10, 20} ForAllOfAllValues:NumericLessThan {5, 15, 18}`, false],
    [`{10, 20} ForAllOfAllValues:NumericLessThan {25, 30}`, true],
    [`{10, 20} ForAllOfAllValues:NumericLessThan {15, 25, 30}`, false],
  ])('%s -> %s', (text, expected) => {
    expect(value(text)).toBe(expected);
  });

  it('applies to multi-valued attributes; plain operators need one value', () => {
    const keys = '@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags&$keys$&]';
    const c = `${keys} ForAllOfAnyValues:StringEquals {'Project', 'Program'}`;
    expect(value(c, { attributes: { [keys]: ['Project'] } })).toBe(true);
    expect(value(c, { attributes: { [keys]: ['Project', 'Cost'] } })).toBe(false);
    expect(value(c, { attributes: { [keys]: [] } })).toBe(true); // every one of no keys
    const plain = run(`${keys} StringEquals 'Project'`, { attributes: { [keys]: ['Project', 'Cost'] } });
    expect(plain.value).toBe(false);
    expect(plain.trace[0]!.note).toMatch(/cross-product/);
  });
});

describe('absent and unknown attributes', () => {
  const c = `((!(ActionMatches{'${BLOB_READ}'})) OR (${CONTAINER} StringEquals 'logs'))`;

  it('an absent attribute makes its expression false, negated operators included', () => {
    expect(value(`${CONTAINER} StringEquals 'logs'`)).toBe(false);
    expect(value(`${CONTAINER} StringNotEquals 'logs'`)).toBe(false);
    expect(value(`NOT (${CONTAINER} StringEquals 'logs')`)).toBe(true);
    expect(value(`Exists ${CONTAINER}`)).toBe(false);
    expect(value(`NOT Exists ${CONTAINER}`)).toBe(true);
    expect(value(`Exists ${CONTAINER}`, { attributes: { [CONTAINER]: 'logs' } })).toBe(true);
    const r = run(c, {});
    expect(r.value).toBe(false);
    expect(r.missing).toEqual([]);
    expect(r.trace.at(-1)!.note).toMatch(/not present/);
  });

  it('an unknown attribute makes the result unknown only when it decides', () => {
    const r = run(c, { unknown: new Set([CONTAINER]) });
    expect(r.value).toBe('unknown');
    expect(r.missing).toEqual([CONTAINER]);
    expect(r.trace.at(-1)).toMatchObject({ result: 'unknown', attribute: CONTAINER });
    // Not the targeted action: decided without the attribute.
    expect(run(c, { action: BLOB_WRITE, unknown: new Set([CONTAINER]) })).toMatchObject({ value: true, missing: [] });
    // unknown AND false = false; unknown OR true = true; NOT unknown = unknown.
    const other = '@Resource[Microsoft.Storage/storageAccounts:name]';
    const unknown = new Set([CONTAINER]);
    const attributes = { [other]: 'sa1' };
    expect(run(`${CONTAINER} StringEquals 'x' AND ${other} StringEquals 'sa2'`, { unknown, attributes })).toMatchObject({ value: false, missing: [] });
    expect(value(`${CONTAINER} StringEquals 'x' OR ${other} StringEquals 'sa1'`, { unknown, attributes })).toBe(true);
    expect(value(`NOT Exists ${CONTAINER}`, { unknown })).toBe('unknown');
  });

  it('given values win over the unknown set; attribute names are case-insensitive except tag keys', () => {
    const lower = CONTAINER.toLowerCase();
    expect(value(c, { attributes: { [lower]: 'logs' }, unknown: new Set([CONTAINER]) })).toBe(true);
    expect(attributeKey(PROJECT_TAG)).not.toBe(attributeKey(PROJECT_TAG.replace('Project', 'project')));
    expect(attributeKey(PROJECT_TAG)).toBe(attributeKey(PROJECT_TAG.replace('Microsoft.Storage', 'microsoft.storage')));
  });
});

describe('syntax errors carry the offset', () => {
  it.each([
    [`@Resource[a] StringEquals 'x' AND @Resource[b] StringEquals 'y' OR @Resource[c] StringEquals 'z'`, 64, /ambiguous/],
    [`@Resource[a] StringEqualz 'x'`, 13, /unknown operator/],
    [`@Resource[a] StringEquals 'x`, 26, /unterminated/],
    [`@Resource[a] StringEquals x`, 26, /quoted string/],
    [`@Resource[a] NumericEquals 1.5`, 27, /integer/],
    [`@Resource[a] GuidEquals 1234`, 24, /GUID/],
    [`@Resource[a] DateTimeEquals '2022-13-01T00:00:00Z'`, 28, /date-time/],
    [`@Resource[a] StringEquals {'x', 'y'}`, 26, /cross-product/],
    [`@Resource[a] ForAnyOfAnyValues:BoolEquals {true}`, 13, /String, Numeric and Guid/],
    [`@Bogus[a] StringEquals 'x'`, 0, /attribute source/],
    [`(ActionMatches{'a'}`, 19, /expected '\)'/],
    [`ActionMatches{'a'} AND`, 22, /end of condition/],
    [`@Resource[a] StringEquals 'x' )`, 30, /unexpected/],
    [`@Resource[a] StringEquals 'x' # 1`, 30, /unexpected character/],
    [`NotExists @Resource[a]`, 0, /NOT Exists/],
  ])('%s', (text, offset, message) => {
    const parse = () => parseAbac(text);
    expect(parse).toThrow(AbacSyntaxError);
    expect(parse).toThrow(expect.objectContaining({ message: expect.stringMatching(message), offset }));
  });

  it('rejects an unknown condition version and too deep nesting', () => {
    expect(() => parseAbac(`ActionMatches{'a'}`, '3.0')).toThrow(AbacSyntaxError);
    const deep = () => parseAbac(`${'('.repeat(100)}ActionMatches{'a'}${')'.repeat(100)}`);
    expect(deep).toThrow(AbacSyntaxError);
    expect(deep).toThrow(/deeply/);
  });
});
