"""The one path from an answer to a Verdict, shared by the REPL, ``check``, ``validate`` and
watch mode (UI side: never imports torch, rich or prompt_toolkit).

- ``tutor.pipeline.code``: code answers, from a fresh start or the live namespace, and
  variants; references and variant runs computed ahead of the learner; a step's time limit.
- ``tutor.pipeline.prompt``: the answer at the prompt, not the history
  (``judge_at_prompt``).
- ``tutor.pipeline.answers``: quiz and predict answers, in a person's words.

PyTorch's errors are explained by the front ends (``tutor.render.errors.explain_verdict``).
"""

from __future__ import annotations

from tutor.pipeline.answers import (
    _choice_number,
    accepted_answer,
    answer_key,
    check_predict,
    check_quiz,
    check_text_answer,
    names_answer,
    normalize,
    printed_value,
    revealed,
    run_predict,
    words,
)
from tutor.pipeline.code import (
    check_answer,
    check_file,
    check_fresh,
    check_once,
    check_variant,
    check_variants,
    effective_setup,
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
    "_choice_number",
    "accepted_answer",
    "answer_key",
    "names_answer",
    "answer_names",
    "before_run",
    "candidates",
    "check_answer",
    "check_file",
    "check_fresh",
    "check_once",
    "check_predict",
    "check_quiz",
    "check_text_answer",
    "check_variant",
    "check_variants",
    "effective_setup",
    "is_attempt",
    "judge_at_prompt",
    "judge_live",
    "needs_gpu",
    "normalize",
    "prepare",
    "printed_value",
    "reference",
    "revealed",
    "run_predict",
    "speculate",
    "start_ahead",
    "step_limit",
    "variant_text",
    "words",
]
