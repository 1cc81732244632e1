/** Ends the test output with one plain line: "N passed, N failed" (plus skipped when any). */
import type { Reporter, File, Task } from 'vitest';

function walk(tasks: Task[], count: { passed: number; failed: number; skipped: number }): void {
  for (const t of tasks) {
    if (t.type === 'suite') {
      walk(t.tasks, count);
      if (t.result?.state === 'fail' && t.tasks.length === 0) count.failed++;
      continue;
    }
    const state = t.result?.state;
    if (state === 'pass') count.passed++;
    else if (state === 'fail') count.failed++;
    else count.skipped++;
  }
}

export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = [], errors: unknown[] = []): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    walk(files, count);
    // A file that failed to load has no tests but is a failure.
    for (const f of files) if (f.result?.state === 'fail' && f.tasks.length === 0) count.failed++;
    count.failed += errors.length;
    const skipped = count.skipped ? `, ${count.skipped} skipped` : '';
    process.stdout.write(`\n${count.passed} passed, ${count.failed} failed${skipped}\n`);
  }
}
