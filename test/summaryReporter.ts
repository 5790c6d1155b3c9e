// Prints one plain closing line ("tests: N passed, N failed, N skipped") after vitest's own summary,
// so CI logs and tools that read the last line see the totals in a fixed form.
import type { Reporter } from "vitest/reporters";

export default class SummaryReporter implements Reporter {
  onFinished(files: any[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const walk = (tasks: any[]): void => {
      for (const t of tasks) {
        if (t.type === "suite" || t.tasks) walk(t.tasks ?? []);
        else if (t.mode === "skip" || t.mode === "todo" || t.result?.state === "skip") skipped++;
        else if (t.result?.state === "pass") passed++;
        else if (t.result?.state === "fail") failed++;
      }
    };
    walk(files);
    // A file that failed to load has no tests but is a failure.
    failed += files.filter((f) => f.result?.state === "fail" && (f.tasks ?? []).length === 0).length;
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
