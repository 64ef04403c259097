// Sums the vitest JSON reports (test-results*.json in every package) into the closing counts line.
// A suite that crashed before writing its report still fails the run through the exit status.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const status = Number(process.argv[2] ?? 0);
const reports = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (/^test-results.*\.json$/.test(name)) reports.push(full);
  }
})('.');

let passed = 0, failed = 0, skipped = 0;
for (const file of reports) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`[ci] ${path.dirname(file)}: ${r.numPassedTests} passed, ${r.numFailedTests} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ''}`);
}
if (status !== 0 && failed === 0) failed = 1; // a runner or build failed without a report
if (reports.length === 0) console.log('[ci] no test reports were written');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status !== 0 ? status : failed > 0 ? 1 : 0);
