"""The one path from an answer to a Verdict, shared by the REPL, ``check`` and ``validate``.

Code answers (``code``): fresh namespace (set-up, seed) -> run -> snapshot ->
reference (cached per sandbox, step, set-up and seed) -> judge -> Verdict, and
again on each variant once the answer passes. At the prompt (``prompt``) the
answer, not the history, is judged. Quiz answers (``answers``) are checked here
without a sandbox; predict answers against what the step's code really prints.

Runs in the UI process: imports the course, the judge's plain verdict and the sandbox's
types only; never torch, rich or prompt_toolkit.
"""

from __future__ import annotations

from tutor.pipeline.answers import (
    _choice_number,
    accepted_answer,
    answer_key,
    check_predict,
    check_quiz,
    check_text_answer,
    normalize,
    printed_value,
    run_predict,
    words,
)
from tutor.pipeline.code import (
    check_answer,
    check_once,
    check_variant,
    check_variants,
    effective_setup,
    explain_error,
    judge_live,
    needs_gpu,
    prepare,
    reference,
    speculate,
    step_limit,
    variant_text,
)
from tutor.pipeline.prompt import (
    Judgement,
    answer_names,
    before_run,
    candidates,
    is_attempt,
    judge_at_prompt,
    start_ahead,
)

__all__ = [
    "Judgement",
    "before_run",
    "start_ahead",
    "_choice_number",
    "accepted_answer",
    "answer_key",
    "answer_names",
    "candidates",
    "check_answer",
    "check_once",
    "check_variant",
    "check_predict",
    "check_quiz",
    "check_text_answer",
    "check_variants",
    "effective_setup",
    "explain_error",
    "is_attempt",
    "judge_at_prompt",
    "judge_live",
    "needs_gpu",
    "normalize",
    "prepare",
    "printed_value",
    "reference",
    "run_predict",
    "speculate",
    "step_limit",
    "variant_text",
    "words",
]
