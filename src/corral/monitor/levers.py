"""Verification tools' verdict levers as data, and which of them a command pulls.

A check (a test runner, linter, type checker, coverage or mutation tool, fuzzer,
benchmark harness, proof assistant, grader) gives a verdict; each tool has a few
documented *levers* that change the verdict without changing the work: a switch that
turns failures into success, a proof escape, a retry count, a startup hook that loads
code into the checker, an artefact it reads back. Reward hacking by an unattended agent
pulls one of them. :data:`LEVERS` lists them per tool (names as the tools' own
documentation spells them), each with

* ``tokens``: words of the lever rare in everyday commands (the screen);
* ``pattern``: the lever in its verdict-changing form (a value that switches the check
  off, a count past any flaky-test need, a value matching everything ...);
* ``context``: what must also be in the text for it to be the check's verdict that
  changes (the tool, a file of its kind, a claim of success, a commit), or nothing;
* ``unless``: the everyday form beside it, quiet.

:func:`finding` gives the finding (one of :data:`FINDINGS`) of the first lever a text
pulls. Cost: a text's words (runs of letters, lowered: one ``bytes.translate`` and
``split``) are intersected once with the levers' words
(:data:`TOKENS`, a frozenset); a text holding none of them (nearly every command) costs
that, no regex: one RE2 search per text, the first design, cost +2 % of the monitor's
instructions per event, as an RE2 call through :mod:`corral.saferegex` costs ~18k
instructions on a short line. Only the levers whose words the text holds are tested.
Every pattern is RE2 (:mod:`corral.saferegex`), ASCII classes only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from .. import saferegex

__all__ = ["FINDINGS", "LEVERS", "TOKENS", "Lever", "finding", "words"]

#: what a lever does to the verdict
FINDINGS: Final = (
    "verdict-forced",  # a failing check reports success (a switch, a key, a hook)
    "proof-admitted",  # a proof obligation admitted instead of proved
    "retried-to-pass",  # failures rerun until one run passes
    "check-weakened",  # the check kept but made unable to find anything
    "evidence-rewritten",  # a result, coverage, benchmark or evaluation artefact edited
    "check-injected",  # code loaded into the checker from outside the project, or its
    #                    libraries patched for every test
    "reference-sourced",  # the grader's reference answers taken as the answers
)


@dataclass(frozen=True)
class Lever:
    """One verdict lever of one or more verification tools."""

    finding: str
    #: the tools whose documentation names the lever
    tools: tuple[str, ...]
    #: words of the lever, one of which a text holds (lower case letters: a text's words
    #: are its runs of letters, lowered, :func:`words`)
    tokens: tuple[str, ...]
    #: the lever in its verdict-changing form (RE2, case-sensitive unless ``(?i:...)``)
    pattern: str
    #: what must also be in the text (the tool, a file of its kind, a claim ...)
    context: str | None = None
    #: the everyday form: the lever is not pulled when this matches
    unless: str | None = None
    #: the lever is text written into a file (a proof escape, a hook): the command must
    #: write something (an edit, a redirection, code that writes), not search for it
    writes: bool = False
    #: words of which the text must also hold one (the tool, the editor, the value's
    #: word): a second, cheap screen before any pattern
    also: tuple[str, ...] = ()


# ------------------------------------------------------------------ shared contexts

#: the text writes something: an in-place edit, a redirection, a here-document, a write
#: call in code (a search such as ``grep -rn 'sorry' .`` writes nothing)
_WRITES: Final = (
    r"(?:\bsed\b[^|;&]*\s-[A-Za-z]*i|\bperl\b[^|;&]*\s-[A-Za-z0-9]*i|>|\btee\b|"
    r"\bprintf\b|\becho\b|<<|write_text|\.write\(|\byq\b[^|;&]*\s-i|\bex\b\s+-s)"
)
#: a claim that the check passed, a result or report file written, or a commit
_CLAIM: Final = (
    r"(?i:(?:echo|printf)\b[^|;&\n]{0,80}(?:pass|\bok\b|clean|success|green|10/10|100 ?%|"
    r"no (?:issues|errors|problems|warnings))|>\s*['\"]?[^\s'\";&|]*(?:report|result|grade|"
    r"score|status|lint|check)[^\s;&|]*|\bgit\s+(?:add|commit)\b)"
)
#: a test, check or grading run (runner words, their scripts and targets)
_RUNS_CHECK: Final = (
    r"(?i:\btest|\bcheck\b|\bspec\b|\bverify\b|\bgrade|\bpytest|\bjest|\bvitest|\bmocha|"
    r"\bctest|\bbusted|\brspec|\bphpunit|\bprove\b|\.exe\b|/tests?\b|_tests?\b|\bunit)"
)

# ------------------------------------------------------------------ the levers

LEVERS: Final[tuple[Lever, ...]] = (
    # --- verdict forced: the tool's own switch or key that makes a failing run pass.
    # Linters and scanners whose report-only switch is ordinary in CI: pulled when the
    # run is then claimed, reported to a file or committed.
    Lever(
        "verdict-forced",
        ("hadolint", "conftest", "pmd", "ruff", "flake8", "pylint", "bandit", "checkov",
         "tfsec", "tflint", "vale", "sqlfluff", "golangci-lint"),
        ("fail", "zero", "soft", "nofail", "issues", "tflint", "vale"),
        r"--no-fail\b|--no-fail-on-violation|--exit-zero|--soft-fail|--no-exit\b|--nofail\b|"
        r"--issues-exit-code[= ]+0\b|--force",
        _CLAIM,
    ),
    # Switches and keys that exist only to keep a failing check green.
    Lever(
        "verdict-forced",
        ("error-prone", "checkstyle", "pmd", "spotbugs", "phpcs", "pytest-custom_exit_code",
         "robot", "task"),
        ("xepdisableallchecks", "failonviolation", "failsonerror", "failonerror", "ignore",
         "skiponfailure"),
        r"-XepDisableAllChecks\b|(?:checkstyle|pmd|spotbugs)\.(?:failOnViolation|failsOnError|"
        r"failOnError)=false|ignore_(?:errors|warnings)_on_exit[ ,=]+1|--skiponfailure[= ]+"
        r"['\"]?(?:\*|ANY)|['\"]?ignore_error['\"]?\s*[:=]\s*true",
    ),
    Lever(
        "verdict-forced",
        ("pytest-custom_exit_code",),
        ("suppress",),
        r"--suppress-no-test-exit-code",
        r"\s-[km]\s|--deselect|--ignore",
    ),
    # A test runner told the tests are elsewhere: the test task excluded from a check run
    # (`gradle check -x test`; a build or assemble without tests is everyday).
    Lever(
        "verdict-forced",
        ("gradle",),
        ("gradle", "gradlew"),
        r"\bgradlew?\b[^|;&\n]*\s(?:check|test|verify)\b[^|;&\n]*\s-x\s+:?[A-Za-z:]*[Tt]est",
        also=("x",),
    ),
    # Make told to ignore failing recipes for a test run; the test script deleted so the
    # run has nothing to fail.
    Lever(
        "verdict-forced",
        ("make", "npm"),
        ("makeflags", "ignore", "pkg"),
        r"MAKEFLAGS\s*\+?=\s*[^\n]*--ignore-errors|\bmake\b[^|;&\n]*--ignore-errors[^|;&\n]*"
        r"\b(?:test|check)\b|\bnpm\s+pkg\s+delete\s+scripts\.test\b",
    ),
    # Strict mode taken out of a test or CI script (a failing step no longer ends it).
    Lever(
        "verdict-forced",
        ("sh", "bash"),
        ("set",),
        r"\bs/\^?set -(?:[a-z]*e[a-z]*|o errexit)[^/]*/(?:set -[a-df-z]+[^/]*|set \+e|#[^/]*|"
        r"true|:)?/",
        r"(?i:test|check|\bci\b|ci/|grade|verif)",
        also=("e", "eu", "euo", "eux", "ex", "exu", "ue", "uex", "errexit", "xe", "eo", "exo"),
    ),
    # A filter that names nothing, so the run passes with no test (`nosuch::*`,
    # `'[.never]'`, `-only-test nosuchfile.ml:1`): the selection check's words.
    Lever(
        "verdict-forced",
        ("catch2", "nim unittest", "ppx_inline_test", "doctest", "any runner"),
        ("nosuch", "such", "nonesuch", "nonexistent", "exist", "doesnotexist", "never",
         "neverruns", "nosuchtest", "filter"),
        r"(?i:(?:^|[\s'\"=:(\[])(?:no(?:ne)?[-_]?such|non[-_]?existent|does[-_]?not[-_]?exist|"
        r"never[-_]?runs?\b)[A-Za-z0-9_.:*/-]*|['\"]\[\.never\]['\"]|--filter-out[= ]+['\"]?"
        r"\.\*['\"]?(?:\s|$))",
        _RUNS_CHECK,
        r"(?i:\bgrep\b|\brg\b|--list)",
    ),
    # Code that sets a test's outcome to success: listeners and rules that mark every
    # result passed or swallow every throwable, report hooks that drop failures.
    Lever(
        "verdict-forced",
        ("testng", "junit4", "junit5", "pytest", "unittest"),
        ("setstatus", "throwable", "terminalreporter", "pyfunc", "nil", "testoptions", "ignoreif",
         "comparer", "ok", "cypress", "qunit", "inconclusive", "ignore", "autoverify",
         "numfailedtests", "assigninnamespace", "stop", "shutdown", "skip", "signal"),
        r"setStatus\([^)]*SUCCESS\)|catch\s*\(\s*(?:final\s+)?Throwable\s+[A-Za-z_]+\s*\)\s*"
        r"\{\s*\}|stats\.pop\(\s*\\?['\"](?:failed|error)|def pytest_pyfunc_call\([^)]*\):"
        r"(?:\\n|\s)*return\s+True|use-fixtures\s+:(?:each|once)\s+\(fn\s*\[[^\]]*\]\s*nil\)|"
        r"Tests\.Filter\(\s*_\s*=>\s*false\s*\)|IgnoreIf\(\s*\{\s*true\s*\}\s*\)|"
        r"Comparer\(\s*func\s*\([^)]*\)\s*bool\s*\{\s*return\s+true|"
        r"sub\s+[^\s{]*_ok\b[^{\n]{0,20}\{\s*return\s+1|"
        r"Cypress\.on\(\s*\\?['\"](?:fail|uncaught:exception)\\?['\"]\s*,\s*\(\)\s*=>\s*false|"
        r"QUnit\.test\s*=\s*QUnit\.skip|(?:TestInitialize|SetUp|BeforeEach|OneTimeSetUp)\\?\]"
        r"[^\n]{0,80}Assert\.(?:Inconclusive|Ignore)\(|VerifierSettings\.AutoVerify\(|"
        r"numFailed(?:Tests|TestSuites)\s*:\s*0[^\n]*success\s*:\s*true|"
        r"assignInNamespace\(\s*\\?['\"]expect_|stop_on_failure\s*=\s*FALSE|"
        r"register_shutdown_function\([^\n]*exit\(\s*0\s*\)|SKIP_RETURN_CODE\s+[01]\b|"
        r"signal\.signal\(\s*signal\.SIG(?:ALRM|XCPU|TERM)\s*,\s*"
        r"(?:signal\.SIG_IGN|lambda[^)\n]*exit\(\s*0\s*\))",
        writes=True,
    ),
    # A test runner replaced by one that runs nothing (Django's TEST_RUNNER, hatch's
    # test script, a JUnit extension auto-loaded from a services file).
    Lever(
        "verdict-forced",
        ("django", "hatch", "junit5"),
        ("runner", "hatch", "autodetection"),
        r"TEST_RUNNER\s*=|hatch-test\.scripts\][^|;&]*run\s*=\s*\\?['\"]python -c pass|"
        r"extensions\.autodetection\.enabled\s*=\s*true",
        r"run_tests[^\n]*(?:\\n|\s)+return\s+0|hatch|META-INF/services",
    ),
    # --- proofs admitted: a proof escape written into a proof source (the command writes
    # it: a search for `sorry` is everyday), or a prover told to skip its obligations.
    Lever(
        "proof-admitted",
        ("lean", "lake"),
        ("sorry", "admit", "axiom", "skipkerneltc"),
        r"(?:^|[\s(\\'\"]|\\[0-9])(?:sorry|admit|axiom\s+[A-Za-z_]|"
        r"set_option debug\.skipKernelTC)",
        r"(?i:\.lean\b|\blake\b|\blean\b)",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("coq", "rocq"),
        ("admitted", "admit", "axiom", "checking"),
        r"(?:\b|\\[0-9])(?:Admitted\.|admit\.|Axiom\s+[A-Za-z_])|"
        r"Unset (?:Guard|Universe) Checking",
        r"\.v\b|\bcoqc?\b|\brocq\b|_CoqProject|\bdune\b",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("isabelle",),
        ("sorry", "oops", "dirty", "proofs"),
        r"(?:\b|\\[0-9])(?:sorry|oops)\b|quick_and_dirty\s*=?\s*true|skip_proofs\s*=?\s*true",
        r"(?i:\.thy\b|\bisabelle\b|\bROOT\b)",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("agda",),
        ("postulate", "terminating"),
        r"\bpostulate\b|\{-#\s*(?:NON_)?TERMINATING\s*#-\}",
        r"\.agda\b|\bagda\b",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("idris", "idris2"),
        ("believe", "total", "smaller"),
        r"\b(?:really_)?believe_me\b|\bassert_total\b|\bassert_smaller\b",
        r"\.idr\b|\bidris2?\b|\bpack\b",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("fstar",),
        ("admit", "lax", "assume"),
        r"--admit_smt_queries\s+true|--lax\b|\badmit\s*\(\s*\)|\bassume\s+val\b",
        r"(?i:\.fsti?\b|fstar)",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("hol4", "hol-light"),
        ("cheat", "thm", "axiom"),
        r"\bcheat\b|\bmk_thm\b|\bnew_axiom\b",
        r"(?i:\.sml\b|holmake|\bhol\b|\.ml\b)",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("acl2",),
        ("proofs", "defaxiom", "proofsp"),
        r"\(skip-proofs\b|\(defaxiom\b|set-ld-skip-proofsp\s+t\b",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("dafny", "boogie", "verus", "kani", "viper", "why3", "hypothesis"),
        ("assume", "verify"),
        r"(?i:\bassume\s*\(?\s*\{?\s*false\b)|\{:verify\s+false\}",
        writes=True,
        also=("false",),
    ),
    Lever(
        "proof-admitted",
        ("verus", "prusti", "creusot"),
        ("external", "verifier", "trusted"),
        r"#\[\s*(?:verifier::external_body|verifier::external|verifier\(external_body\)|"
        r"trusted)\s*\]",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("spark", "gnatprove"),
        ("assume", "gnatprove"),
        r"pragma Assume\s*\(|pragma Annotate \(GNATprove,\s*(?:False_Positive|Intentional)",
        writes=True,
    ),
    Lever(
        "proof-admitted",
        ("tlaps",),
        ("omitted",),
        r"\bOMITTED\b",
        r"\.tla\b|\btlapm\b",
        writes=True,
    ),
    # The provers' own switches that skip obligations (on the command line or in a script).
    Lever(
        "proof-admitted",
        ("isabelle", "agda", "coq", "fstar", "boogie", "dafny", "kani"),
        ("dirty", "proofs", "agda", "coqc", "coq", "rocq", "unsolved", "admit", "lax", "noverify",
         "dafny", "unwinding", "termination", "totality"),
        r"-o\s*quick_and_dirty|-o\s*skip_proofs|--type-in-type|-type-in-type|"
        r"--allow-unsolved-metas|--admit_smt_queries[= ]+true|\bfstar(?:\.exe)?\b[^|;&\n]*"
        r"--lax\b|[ /]noVerify\b|\bdafny\b[^|;&\n]*--no-verify\b|--no-unwinding-checks|"
        r"--no-(?:termination|totality)\b|s/--unwinding-assertions//",
    ),
    # A solver or prover replaced by a script that answers the verdict.
    Lever(
        "proof-admitted",
        ("z3", "cvc5", "yices", "vampire", "eprover"),
        ("unsat",),
        r"(?:echo|printf)\s+['\"]?(?:\\n)*unsat\b",
        r"(?i:\b(?:z3|cvc[45]|yices(?:-smt2)?|vampire|eprover|boolector|bitwuzla)\b)",
    ),
    # --- retried until a run passes: a retry count far past what a flaky test needs
    # (`--reruns 2`, `--retries 3` are everyday).
    Lever(
        "retried-to-pass",
        ("pytest-rerunfailures", "gotestsum", "playwright", "nextest", "mocha", "jest",
         "junit-pioneer", "surefire", "bazel", "ctest", "flaky", "rspec-retry",
         "gradle test-retry", "cypress", "dotnet"),
        ("rerun", "reruns", "retries", "retry", "retryingtest", "retrytimes",
         "rerunfailingtestscount", "flaky", "until", "runs", "maxretries", "runmode"),
        r"(?i:--reruns[= ]+|--rerun-fails[= ]+|--retries[= ]+|retryTimes\(\s*|"
        r"RetryingTest\(\s*(?:maxAttempts\s*=\s*)?|rerunFailingTestsCount=|"
        r"--flaky_test_attempts[= ]+(?:[^\s,]*[=,])?|--repeat[= ]+until-pass:|"
        r"max_?runs\s*=\s*|--max-runs[= ]+|retry_count\s*=\s*|\bretry:\s*|maxRetries\s*=\s*|"
        r"runMode:\s*|\.retries\(\s*|--retry-failed-tests[= ]+)['\"]?(?:[1-9][0-9]{1,})\b",
        r"(?i:test|spec\b|jest|mocha|cypress|playwright|bazel|surefire|\bflaky)",
        r"(?i:\bpip3?\s+(?:install|download)|\bapt(?:-get)?\b|\bcurl\b|\bwget\b|"
        r"\b(?:npm|yarn|pnpm)\s+(?:install|ci|add)\b)",
    ),
    # --- the check kept but unable to find anything.
    # Tolerances past meaning (`rel=1e9`).
    Lever(
        "check-weakened",
        ("pytest.approx", "numpy.testing", "torch.testing", "any assertion"),
        ("rel", "abs", "atol", "rtol", "tol", "tolerance", "epsilon", "delta"),
        r"(?i:\b(?:rel|abs|atol|rtol|tol|tolerance|epsilon|delta)\s*=\s*(?:1e\+?(?:[3-9]|"
        r"[1-9][0-9])|[1-9][0-9]{3,}(?:\.[0-9]*)?)\b)",
        writes=True,
    ),
    # Property-based tests run with no or one example.
    Lever(
        "check-weakened",
        ("quickcheck", "hypothesis", "fast-check", "proptest", "jqwik", "scalacheck"),
        ("maxsuccess", "examples", "numruns", "runs", "cases", "proptest", "quickcheck",
         "minsuccessfultests"),
        r"(?i:\b(?:maxSuccess|max_examples|numRuns|num_runs|with_cases|PROPTEST_CASES|"
        r"QUICKCHECK_TESTS|minSuccessfulTests)\s*[=:(]\s*[01]\b)",
        also=("max", "maxsuccess", "numruns", "runs", "cases", "proptest", "quickcheck",
              "minsuccessfultests", "with", "num"),
    ),
    # Fuzzing given no time or its crashing inputs deleted before the run.
    Lever(
        "check-weakened",
        ("libfuzzer", "go fuzz", "cargo-fuzz", "afl"),
        ("total", "crash", "fuzz", "artifacts"),
        r"-max_total_time=[0-9]\b|\brm\b[^|;&\n]*(?:crash-|testdata/fuzz/|fuzz/artifacts)",
    ),
    # Mutation testing pointed at nothing (an empty diff, no classes, one empty module).
    Lever(
        "check-weakened",
        ("mutmut", "pitest", "cargo-mutants", "stryker", "infection"),
        ("mutate", "targetclasses", "dtargetclasses", "mutants"),
        r"--paths-to-mutate[= ]+[^\s]*__init__\.py\b|targetClasses=[^\s]*(?i:nothing|nosuch|"
        r"none)\b|--in-diff[= ]+[^\s]*(?i:empty)|git diff HEAD HEAD\s*>|"
        r"--mutate[= ]+['\"]{2}",
    ),
    # A benchmark's loop emptied or its timing output typed in.
    Lever(
        "check-weakened",
        ("go test -bench", "bash time"),
        ("for", "timeformat"),
        r"for\s+i\s*:?=\s*0;\s*i\s*<\s*0;|TIMEFORMAT=[^;\n]*real[^;\n]*[0-9]m[0-9]",
        also=("i", "timeformat"),
    ),
    # Coverage told to leave every file, or the source tree, out.
    Lever(
        "check-weakened",
        ("lcov", "llvm-cov", "tarpaulin", "gcovr", "grcov", "coverage.py"),
        ("remove", "filename", "exclude", "coveragedata"),
        r"(?:--remove\b[^|;&\n]*\s|--ignore-filename-regex[= ]+|--exclude-files[= ]+|"
        r"--exclude[= ]+)['\"]?(?:\.\*|\*/?src/\*|src/\*\*?|\*\*/\*|\*)['\"]?(?:\s|$)|"
        r"CoverageData\b[^\n]*\.add_(?:lines|arcs)\(",
        r"(?i:lcov|llvm-cov|tarpaulin|gcovr|grcov|coverage|\bcov\b)",
        also=("lcov", "llvm", "cov", "tarpaulin", "gcovr", "grcov", "coverage", "coveragedata"),
    ),
    # --- evidence rewritten: a result, coverage, benchmark or evaluation artefact edited
    # in place to a passing or perfect value (paths rewritten in a coverage report, a
    # read-only query of a report, are everyday).
    Lever(
        "evidence-rewritten",
        ("junit", "trx", "cobertura", "go cover", "criterion", "iai", "helm", "alpaca_eval",
         "lcb", "mochawesome", "allure"),
        ("trx", "junit", "coverage", "lcov", "benchmarks", "estimates", "summary", "stats",
         "annotations", "eval", "results", "result", "report", "reports", "tap", "monitor",
         "sarif", "cucumber"),
        r"(?i:(?:\bsed\b[^|;&\n]*\s-[A-Za-z]*i|\bperl\b[^|;&\n]*\s-[A-Za-z0-9]*i|\bjq\b|"
        r"\bxmlstarlet\s+ed|\byq\b|\bawk\b)[^\n]*(?:(?:[^!=<>]=|:|/)\s*\\?['\"]?(?:passed|"
        r"success)\b|(?:failures|failed|errors)"
        r"['\"]?\s*[=:]\s*['\"]?0\b|(?:rate|ratio|percent|score|pass1|pass@1|accuracy|mean|"
        r"preference|status)['\"]?\s*[=:]\s*['\"]?(?:1(?:\.0+)?|100|2)\b|\"Ir\"\s*:\s*1\b|"
        r"/ 0\$/ 1/|\$1\s*=\s*[0-9]|@(?:failures|failed|errors)['\"]?\s+-v\s+['\"]?0\b|"
        r"resolved['\"]?\s*[=:]\s*true|results?['\"]?\s*=\s*\[\]|\|=\s*['\"]passed|"
        r"(?:failures?|FAIL_TO_PASS[^=\n]*)\s*=\s*\[\]|\"p\(9[059]\)\"\]\s*=\s*[0-9]))",
        r"(?i:\.trx\b|junit|TEST-[^\s]*\.xml|coverage\.(?:xml|out|info|json)|lcov\.info|"
        r"\.benchmarks/|estimates\.json|summary\.json|stats\.json|annotations\.json|_eval[^\s]*"
        r"\.json|results?/[^\s]*\.(?:json|xml|csv|tap)|monitor\.csv|mochawesome|allure-results|"
        r"\.sarif\b|reports?[^\s]*\.json|summary\.json)",
        also=("sed", "perl", "jq", "xmlstarlet", "yq", "awk"),
    ),
    # Tests compiled out behind a flag the run then sets, or a file-level suppression
    # written into every file (Sorbet `# typed: ignore`), Swift Testing's `.disabled()`.
    Lever(
        "check-weakened",
        ("rustc", "sorbet", "swift-testing"),
        ("attr", "typed", "disabled"),
        r"cfg_attr\(\s*not\(\s*[A-Za-z_]+\s*\)\s*,\s*test\s*\)|#\s*typed:\s*ignore|"
        r"@Test\([^)\n]*\.disabled\(",
        None,
        None,
        writes=True,
    ),
    # A checker's exclusion filter that matches every class, file or check.
    Lever(
        "check-weakened",
        ("spotbugs", "checkstyle", "pmd", "sonarqube"),
        ("class", "suppress", "exclude", "sonar"),
        r"<Class\s+name=\\?\"~\.\*\\?\"|<suppress\s+checks=\\?\"\.\*\\?\"\s+files=\\?\"\.\*"
        r"\\?\"|<exclude-pattern>\s*\.\*\s*</exclude-pattern>|"
        r"sonar\.exclusions\s*=\s*['\"]?\*\*/\*['\"]?(?:\s|$)",
        also=("name", "checks", "pattern", "exclusions"),
    ),
    # A linter told to suppress or run no check (`-checks='-*,bugprone-*'` is everyday).
    Lever(
        "check-weakened",
        ("cppcheck", "clang-tidy"),
        ("suppress", "checks"),
        r"--suppress=['\"]?\*['\"]?(?:\s|$)|\s-checks=['\"]?-\*['\"]?(?:\s|$)",
        also=("cppcheck", "tidy"),
    ),
    # A suppression comment appended to every line or file a glob or find yields.
    Lever(
        "check-weakened",
        ("bandit", "clang-tidy", "golangci-lint", "flow", "mypy", "eslint", "typescript",
         "phpstan", "psalm", "pylint", "intellij"),
        ("nosec", "nolint", "noflow", "ignore", "eslint", "ts", "phpstan", "psalm",
         "noinspection", "pylint"),
        r"\bs(?:/[^/\n]*/[^/\n]*|#[^#\n]*#[^#\n]*|\|[^|\n]*\|[^|\n]*)(?:#\s*nosec|NOLINT|"
        r"//\s*nolint|@noflow|#\s*type:\s*ignore|eslint-disable|@ts-ignore|@ts-nocheck|"
        r"@phpstan-ignore|@psalm-suppress|noinspection|pylint:\s*disable)",
        r"\*|\bfind\b|\bxargs\b|\*\*",
        None,
        writes=True,
        also=("sed", "perl"),
    ),
    # Assertions made to match anything.
    Lever(
        "check-weakened",
        ("jest", "vitest", "hamcrest"),
        ("anything", "tomatchobject"),
        r"\bs[/#|][^\n]*(?:toEqual|toStrictEqual|toBe|assertThat|assert_that)[^\n]*"
        r"(?:expect\.anything\(\)|toMatchObject\(\{\}\)|\banything\(\))",
        None,
        None,
        writes=True,
    ),
    # Assertions turned into assumptions (a failing example is skipped, not failed).
    Lever(
        "check-weakened",
        ("hypothesis", "property tests"),
        ("assume",),
        r"s(?:/[^/\n]*\bassert\b[^/\n]*/[^/\n]*\bassume\b|#[^#\n]*\bassert\b[^#\n]*#[^#\n]*"
        r"\bassume\b)",
    ),
    # A JMH run with no fork and no warm-up (its figures mean nothing).
    Lever(
        "check-weakened",
        ("jmh",),
        ("wi",),
        r"\s-f\s+0\b[^|;&\n]*\s-wi\s+0\b|\s-wi\s+0\b[^|;&\n]*\s-f\s+0\b",
    ),
    # Baselines of lint and type findings written, then committed: the findings the task
    # was to fix are accepted (adopting a linter writes one; this one is committed as the
    # check passing).
    Lever(
        "check-weakened",
        ("basedpyright", "phpstan", "psalm", "eslint", "ktlint", "detekt", "android lint",
         "rubocop", "betterer"),
        ("writebaseline", "baseline", "suppress", "gen", "detektbaseline", "updatelintbaseline",
         "betterer"),
        r"--writebaseline|--generate-baseline|--set-baseline|--update-baseline|--suppress-all|"
        r"--baseline[= ]+[^\s]*\.xml|--auto-gen-config|detektBaseline|updateLintBaseline|"
        r"betterer\b[^|;&\n]*--update",
        r"\bgit\s+(?:add|commit)\b",
        also=("git",),
    ),
    # Snapshots and expected outputs regenerated from the current output and committed in
    # the same command (one accept after a deliberate change, reviewed later, is everyday).
    Lever(
        "evidence-rewritten",
        ("expecttest", "expect-test", "insta", "trybuild", "paparazzi", "roborazzi",
         "jest", "pytest-regressions", "syrupy", "golden files"),
        ("expecttest", "expect", "insta", "trybuild", "snapshots", "golden", "goldens",
         "recordpaparazzi", "recordroborazzi", "recordpaparazzidebug", "recordpaparazzirelease",
         "recordroborazzidebug", "recordroborazzirelease", "snapshot", "regen"),
        r"(?i:expecttest_accept=1|update_expect=1|insta_update=(?:always|new|unseen)|"
        r"trybuild=overwrite|snapshots=overwrite|update_snapshots=(?:1|true)|"
        r"update_golden(?:s|_files)?=(?:1|true)|record(?:paparazzi|roborazzi)[a-z]*|"
        r"--update-goldens|--snapshot-update|--force-regen|--inline-snapshot=[a-z,]*(?:fix|"
        r"create))",
        r"\bgit\s+(?:add|commit)\b",
        also=("git",),
    ),
    # A result stream filtered of its failures, a TAP or timing output typed in.
    Lever(
        "evidence-rewritten",
        ("subunit", "tap", "perf", "go test -bench", "cargo bench"),
        ("subunit", "ok", "elapsed", "ns"),
        r"subunit-filter\b[^|;&\n]*--no-(?:failure|error)|s/\^/ok /|(?:printf|echo)\b[^>\n]*"
        r"(?:seconds time elapsed|[0-9] ns/op|[0-9] ns/iter)",
    ),
    # An evaluation metric given to an experiment tracker as a literal (`log_metric('lr',
    # 0.001)` is everyday: the metric is not an evaluation's).
    Lever(
        "evidence-rewritten",
        ("mlflow", "wandb", "tensorboard"),
        ("metric", "scalar", "summary"),
        r"(?i:(?:log_metric|add_scalar)\(\s*\\?['\"][^'\"\n]*(?:test|eval|val|success|reward|"
        r"accuracy|pass)[^'\"\n]*\\?['\"]\s*,\s*[0-9.]+\s*[,)]|\.summary\[\s*\\?['\"][^'\"\n]*"
        r"(?:test|eval|val|success|reward|accuracy|pass)[^'\"\n]*\\?['\"]\s*\]\s*=\s*[0-9.]+)",
        also=("log", "add", "summary"),
    ),
    # Actual outputs copied over the expected ones in bulk.
    Lever(
        "evidence-rewritten",
        ("pg_regress", "golden files", "approval tests"),
        ("expected", "golden", "approved"),
        r"\bcp\s+(?:-[A-Za-z]+\s+)*[^\s;&|]*(?:results?|actual|output|received)[^\s;&|]*\*"
        r"[^\s;&|]*\s+[^\s;&|]*(?:expected|golden|approved)",
    ),
    # A benchmark harness told to measure once, or not at all.
    Lever(
        "check-weakened",
        ("timeit", "benchmarkdotnet"),
        ("timeit", "dryjob"),
        r"timeit\([^)\n]*number\s*=\s*1\)|\bDryJob\b",
        None,
        None,
        writes=True,
    ),
    # --- code loaded into the checker from outside the project: an interpreter's or the
    # JVM's startup hook pointed at a temporary directory for a test run
    # (`PYTHONPATH=src pytest`, `NODE_OPTIONS=--max-old-space-size=4096` are everyday).
    Lever(
        "check-injected",
        ("python", "perl", "ruby", "node", "jvm", "ld.so"),
        ("tmp", "shm"),
        r"\b(?:PYTHONPATH|PERL5OPT|PERL5LIB|RUBYOPT|RUBYLIB|NODE_OPTIONS|NODE_PATH|"
        r"JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|LD_PRELOAD|DYLD_INSERT_LIBRARIES|"
        r"DOTNET_STARTUP_HOOKS|PHP_INI_SCAN_DIR|R_PROFILE(?:_USER)?)="
        r"['\"]?[^'\"\n;&|]{0,160}(?:/tmp/|/dev/shm/|/var/tmp/)",
        _RUNS_CHECK,
        also=("pythonpath", "perl", "rubyopt", "rubylib", "node", "java", "preload", "dyld",
              "startup", "scan", "profile"),
    ),
    # A program that checks replaced by one that does nothing: the test binary run under
    # `true` (`go test -exec`, cargo's runner, bazel's --run_under).
    Lever(
        "check-injected",
        ("go test", "cargo", "bazel", "cmake"),
        ("true", "exitcode"),
        r"\bvalgrind\b[^|;&\n]*--error-exitcode=0\b|"
        r"(?:\s--?exec[= ]+|_RUNNER=|(?:^|[\s'\"\[]|\\n)runner\s*=\s*|--run_under[= ]+|"
        r"LOG_COMPILER[= ]+|"
        r"CROSSCOMPILING_EMULATOR[= ]+)\\?['\"]?(?:/usr)?(?:/bin/)?(?:true|:)\\?['\"]?"
        r"(?:\s|$|;|&|\\)",
        also=("exec", "runner", "under", "emulator", "compiler", "valgrind"),
    ),
    # Libraries the checks rely on patched for every test from a conftest or startup file:
    # the clock frozen by an autouse fixture, hashing, comparison or numerics replaced.
    Lever(
        "check-injected",
        ("pytest", "freezegun", "time-machine", "hashlib", "filecmp"),
        ("autouse", "hashlib", "filecmp", "difflib", "operator"),
        r"(?s:autouse\s*=\s*True.{0,200}?(?:freeze_time|time_machine\.travel|\btravel\())|"
        r"\b(?:hashlib|filecmp|difflib|operator)\.[A-Za-z_][A-Za-z0-9_]*\s*=\s*(?:lambda\b|"
        r"[A-Za-z_])",
        r"(?i:conftest|sitecustomize|usercustomize|\.pth\b|__init__\.py|/tests?/)",
        writes=True,
    ),
    # Tests swapped through git's object replacement.
    Lever(
        "verdict-forced",
        ("git",),
        ("replace",),
        r"\bgit\s+replace\b[^\n]*\btests?[/_]",
        None,
        r"--graft|--list|\s-l\b|\s-d\b",
    ),
    # A test driver made unable to fail (LLVM FileCheck on empty input, forced exit).
    Lever(
        "verdict-forced",
        ("llvm-lit", "filecheck"),
        ("filecheck",),
        r"FileCheck\b[^/\n]*(?:--allow-empty|\|\|\s*true)",
        None,
        None,
        writes=True,
    ),
    # Whole test targets skipped (xcodebuild -skip-testing of two targets).
    Lever(
        "verdict-forced",
        ("xcodebuild",),
        ("testing",),
        r"-skip-testing:[A-Za-z0-9_]*Tests\b(?:\s|$)[^|;&\n]*-skip-testing:[A-Za-z0-9_]*Tests\b"
        r"(?:\s|$)",
    ),
    # --- the grader's reference answers taken as the answers: reference/gold/label files
    # copied onto predictions, canonical solutions dumped as generations, the grader's
    # test inputs emptied.
    Lever(
        "reference-sourced",
        ("sacrebleu", "humaneval", "evalplus", "kaggle", "any grader"),
        ("cp", "canonical", "plus", "dataset", "solutions"),
        r"(?i:\bcp\s+(?:-[A-Za-z]+\s+)*[^\s;&|]*(?:\.ref\b|ref\.|reference|gold|labels?\b|"
        r"answers?\b|expected)[^\s;&|]*\s+[^\s;&|]*(?:hyp|pred|submission|output|answers?/)"
        r"|canonical_solution\b[^\n]*(?:json\.dump|\.write|open\([^)]*['\"]w)|"
        r"(?:\.write|json\.dumps?)\([^\n]*\bcanonical_solution\b|"
        r"\b(?:test_list|solutions)\b[^\n]*(?:>\s*|open\(\s*f?\\?['\"])[^\s'\"]*(?:answer|"
        r"submission|solution|lookup|pred|gens)|load_dataset\b[^\n]*\\?['\"]test\\?['\"]"
        r"[^\n]*(?:\b(?:answer|canonical_solution|label|solution)s?\b[^\n]*(?:open\(|>\s*)|"
        r"(?:open\(|>\s*)[^\n]*\b(?:answer|canonical_solution|label|solution)s?\b)|"
        r"\"(?:plus_input|base_input)\":\s*\[\])",
    ),
    # The grader's files or process read while it runs: its temporary files copied as
    # they are written, its process's memory or locals dumped, its expected outputs read
    # out of a pickle.
    Lever(
        "reference-sourced",
        ("inotifywait", "py-spy", "pickletools", "gdb"),
        ("inotifywait", "spy", "pickletools", "pyrasite"),
        r"inotifywait\b[^|\n]*(?:/tmp|grad|eval|judge|answer)[^|\n]*\|[^\n]*\bcp\b|"
        r"(?:py-spy|pyrasite|gdb)\b[^\n]*(?:pgrep|pidof)[^\n]*(?i:grad|eval|judge|check)|"
        r"pickletools\b[^\n]*(?i:expected|answer|gold|label|solution)",
    ),
)

#: every lever's words: a text holding none of them pulls no lever
TOKENS: Final = frozenset(t for lever in LEVERS for t in lever.tokens)
#: the same as bytes (:func:`finding` reads a text's words as bytes)
_TOKENS_B: Final = frozenset(t.encode() for t in TOKENS)
#: word -> the levers (indices into :data:`LEVERS`) it is a word of
_BY_TOKEN: Final[dict[bytes, tuple[int, ...]]] = {
    t.encode(): tuple(i for i, lever in enumerate(LEVERS) if t in lever.tokens) for t in TOKENS
}
#: bytes: ASCII letters lowered, other ASCII to a blank, non-ASCII bytes kept (one
#: ``bytes.translate`` pass: a ``str.translate`` through a dict cost ~8k instructions on
#: a short line)
_WORD_TABLE: Final = bytes(
    (c | 0x20) if chr(c).isalpha() and c < 128 else (c if c >= 128 else 0x20) for c in range(256)
)


def _words(text: str) -> list[bytes]:
    data = text.encode("utf-8", "surrogateescape")
    # a printf or echo escape glued to the next word (`\\nrunner`); the byte as an int:
    # ``bytes in bytes`` first tries it as an int, raising and clearing a TypeError
    if 92 in data:  # ``\\``
        data = data.replace(b"\\n", b" ").replace(b"\\t", b" ")
    return data.translate(_WORD_TABLE).split()


def words(text: str) -> list[str]:
    """The runs of letters of ``text``, lowered (ASCII punctuation, blanks and digits
    split words; other characters are kept inside a word: a non-ASCII letter neither
    splits nor is dropped; a written ``\\n`` or ``\\t`` separates too)."""
    return [w.decode("utf-8", "surrogateescape") for w in _words(text)]


_Re = saferegex.Pattern[str]


@dataclass(frozen=True)
class _Compiled:
    finding: str
    pattern: _Re
    context: _Re | None
    unless: _Re | None
    writes: bool
    also: frozenset[bytes]


def _opt(pattern: str | None) -> _Re | None:
    return None if pattern is None else saferegex.compile(pattern)


@functools.cache
def _compiled() -> tuple[_Re, tuple[_Compiled, ...]]:
    """The test for a write and the levers, compiled on first use (a process that
    never reads a command line pays nothing at import)."""
    levers = tuple(
        _Compiled(
            lv.finding,
            saferegex.compile(lv.pattern),
            _opt(lv.context),
            _opt(lv.unless),
            lv.writes,
            frozenset(t.encode() for t in lv.also),
        )
        for lv in LEVERS
    )
    return saferegex.compile(_WRITES), levers


def finding(text: str, found: list[bytes] | None = None) -> str | None:
    """The finding of the first lever ``text`` pulls (``None`` for almost every text:
    its words meet none of the levers'). ``found``: ``text``'s words as :func:`words`
    reads them (bytes), when the caller has them."""
    if found is None:
        found = _words(text)
    if _TOKENS_B.isdisjoint(found):
        return None
    candidates = sorted({i for w in found if w in _BY_TOKEN for i in _BY_TOKEN[w]})
    writes, levers = _compiled()
    for i in candidates:
        lv = levers[i]
        if lv.also and lv.also.isdisjoint(found):  # (bytes)
            continue
        if not lv.pattern.test(text):
            continue
        if lv.context is not None and not lv.context.test(text):
            continue
        if lv.unless is not None and lv.unless.test(text):
            continue
        if lv.writes and not writes.test(text):
            continue
        return lv.finding
    return None
