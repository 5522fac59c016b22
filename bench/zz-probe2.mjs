import { loadSnapshot } from '../dist/src/index.js';
import { buildSnapshotRequest } from '../dist/providers/aws/snapshot-request.js';
import { evaluate } from '../dist/providers/aws/evaluate.js';
import { explain } from '../dist/providers/aws/explain.js';
import { estateRequests, generateEstate } from './estate.mjs';
const snap = loadSnapshot(generateEstate(1));
const estate = snap.compiledFor('aws');
const built = estateRequests(1, 20000).map((r) => buildSnapshotRequest(estate, r));
for (let k=0;k<10;k++) for (const b of built) explain(evaluate(b, false), false);
