/**
 * Azure role assignment conditions (ABAC): parse once (cached by text), evaluate per request.
 * Grammar and semantics: https://learn.microsoft.com/azure/role-based-access-control/conditions-format
 */
export { AbacSyntaxError, attributeKey, parseAbac } from './abac-parse.js';
export type { AbacCondition } from './abac-parse.js';
export { evaluateAbac } from './abac-eval.js';
export type { AbacInput, AbacResult, AbacTraceItem, Tri } from './abac-eval.js';
