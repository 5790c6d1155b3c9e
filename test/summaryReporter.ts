// Prints one plain closing line ("tests: N passed, N failed, N skipped") after vitest's own summary,
// so CI logs and tools that read the last line see the totals in a fixed form. A file that fails
// without a failing test (it did not load, or a hook such as afterAll failed) counts as one failure.
import type { Reporter } from "vitest/reporters";

export default class SummaryReporter implements Reporter {
  onFinished(files: any[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let suiteErrors = 0;
    const walk = (tasks: any[]): number => {
      let failedHere = 0;
      for (const t of tasks) {
        if (t.type === "suite" || t.tasks) failedHere += walk(t.tasks ?? []);
        else if (t.mode === "skip" || t.mode === "todo" || t.result?.state === "skip") skipped++;
        else if (t.result?.state === "pass") passed++;
        else if (t.result?.state === "fail") failedHere++;
      }
      return failedHere;
    };
    for (const f of files) {
      const failedTests = walk(f.tasks ?? []);
      failed += failedTests;
      if (failedTests === 0 && f.result?.state === "fail") suiteErrors++;
    }
    failed += suiteErrors;
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${suiteErrors ? ` (${suiteErrors} of them a whole file: it did not load, or a hook failed)` : ""}\n`);
  }
}
