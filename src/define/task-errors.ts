// Errors a task may throw to steer its own outcome. Workers recognize them by `name`, so a copy of the
// class from another installation of weir works the same.

/**
 * Ends this task instance as `skipped` (not failed); downstream tasks follow their trigger rules.
 * @example
 * p.task("load", async (ctx) => { if (await alreadyLoaded(ctx.logicalDate)) throw new SkipTask("already loaded"); … });
 */
export class SkipTask extends Error {
  override readonly name = "SkipTask";
}

/**
 * Fails this try with no further retries, whatever the task's `retries` (bad input will not get better).
 * @example
 * p.task("validate", async () => { if (rows.length === 0) throw new FailWithoutRetry("the feature table is empty"); });
 */
export class FailWithoutRetry extends Error {
  override readonly name = "FailWithoutRetry";
}
