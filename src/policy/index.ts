/**
 * policy/: what was reviewed is what runs. Which tools a script may call (its manifest, from the
 * SDK files in its bundle), runbyte.json's policy (allow, ask, deny) and the approvals it asks
 * for. See docs/architecture.md and README.md, "Pinned tools, policy and the audit log".
 */
export { type ApprovalAnswer, type ApprovalRecord, type ApprovalRequest, type Approver, Guard, type GuardOptions } from './guard.js';
export { Pins } from './pins.js';
export { Policy, type Verdict } from './rules.js';
