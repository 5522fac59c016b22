/**
 * Subtle pieces of the Azure provider: unknown versus absent ABAC attributes (conditional versus a false
 * condition), and which uploaded files the provider claims (never AWS or Google Cloud inputs).
 */
import { describe, expect, it } from 'vitest';
import { attributeKey } from '../../providers/azure/abac.js';
import { AbacFacts, compileCondition, evalCondition } from '../../providers/azure/conditions.js';
import { recognizes } from '../../providers/azure/load.js';

const TAG = '@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>]';
const READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';
const cond = compileCondition(`((!(ActionMatches{'${READ}'})) OR (${TAG} StringEquals 'Cascade'))`, 'test.json', '/condition');

describe('ABAC attributes: given, absent or unknown', () => {
  it('is unknown when the request says nothing about blob index tags', () => {
    const r = evalCondition(cond, READ, undefined, new AbacFacts());
    expect(r.value).toBe('unknown');
    expect(r.missing).toEqual([TAG]);
  });

  it('is absent (false) when the request gives other tags of the blob, or null', () => {
    const other = new AbacFacts();
    other.set(TAG.replace('Project', 'Owner'), 'alice', true);
    expect(evalCondition(cond, READ, undefined, other).value).toBe(false);
    const none = new AbacFacts();
    none.set(TAG, null, true);
    expect(evalCondition(cond, READ, undefined, none).value).toBe(false);
  });

  it('a derived attribute does not make its kind known: another tag stays unknown', () => {
    const derived = new AbacFacts();
    derived.set(TAG.replace('Project', 'Owner'), 'alice', false);
    expect(evalCondition(cond, READ, undefined, derived).value).toBe('unknown');
  });

  it('keeps tag keys case-sensitive and the rest of the name case-insensitive', () => {
    const f = new AbacFacts();
    f.set(TAG.toLowerCase().replace('project', 'Project'), 'Cascade', true);
    expect(evalCondition(cond, READ, undefined, f).value).toBe(true);
    expect(attributeKey(TAG)).not.toBe(attributeKey(TAG.replace('Project', 'project')));
  });

  it('a malformed condition names the file and pointer', () => {
    try {
      compileCondition("@Resource[x] StringEquals", 'ra.json', '/value/0/properties/condition');
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ status: 400, file: 'ra.json', pointer: '/value/0/properties/condition' });
    }
  });
});

describe('which files are Azure inputs', () => {
  const f = (value: unknown) => ({ name: 'x.json', text: JSON.stringify(value), value });
  it('claims ARM lists, Resource Graph rows, entities, group maps and Graph directory lists', () => {
    expect(recognizes(f({ value: [{ id: '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a', type: 'Microsoft.Authorization/roleAssignments' }] }))).toBe(true);
    expect(recognizes(f({ data: [{ id: '/subscriptions/s/resourceGroups/rg', type: 'microsoft.resources/subscriptions/resourcegroups' }] }))).toBe(true);
    expect(recognizes(f({ value: [{ id: '/subscriptions/s', type: '/subscriptions' }] }))).toBe(true);
    expect(recognizes(f({ 'e0000000-0000-4000-8000-0000000000e1': ['aaaaaaaa-0000-4000-8000-000000000001'] }))).toBe(true);
    expect(recognizes(f({ value: [{ id: 'aaaaaaaa-0000-4000-8000-000000000001', userPrincipalName: 'alice@contoso.com' }] }))).toBe(true);
    expect(recognizes(f({ value: [] }))).toBe(true);
  });

  it('leaves AWS and Google Cloud inputs alone', () => {
    expect(recognizes(f({ UserDetailList: [], RoleDetailList: [] }))).toBe(false);
    expect(recognizes(f([{ name: '//cloudresourcemanager.googleapis.com/projects/p1', assetType: 'cloudresourcemanager.googleapis.com/Project' }]))).toBe(false);
    expect(recognizes(f({ 'eng@example.com': ['user:alice@example.com'] }))).toBe(false);
    expect(recognizes(f({ policies: [{ name: 'policies/x/denypolicies/y' }] }))).toBe(false);
  });
});
