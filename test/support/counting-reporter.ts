// Mocha's spec reporter, plus the run's real counts written to $TEST_RESULTS_FILE (when set) so
// .ci/run can print "N passed, N failed" from the results rather than from scraped text.
import fs from 'fs';
import Mocha from 'mocha';

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, () => passed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, () => failed++);
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, () => skipped++);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.TEST_RESULTS_FILE;
      if (file) fs.writeFileSync(file, JSON.stringify({ passed, failed, skipped }));
    });
  }
}

export = CountingReporter;
