"""The one path from an answer to a Verdict, shared by the REPL, ``check``, ``validate`` and
watch mode (UI side: never imports torch).

- ``tutor.pipeline.code``: code answers, from a fresh start or the live namespace, and
  variants.
- ``tutor.pipeline.prompt``: the answer at the prompt, not the history
  (``judge_at_prompt``).
- ``tutor.pipeline.answers``: quiz and predict answers, in a person's words.
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
    revealed,
    run_predict,
    words,
)
from tutor.pipeline.code import (
    check_answer,
    check_file,
    check_once,
    check_variant,
    check_variants,
    effective_setup,
    is_attempt,
    judge_live,
    needs_gpu,
    reference,
    variant_text,
)
from tutor.pipeline.prompt import Judgement, answer_names, candidates, judge_at_prompt

__all__ = [
    "Judgement",
    "_choice_number",
    "accepted_answer",
    "answer_key",
    "answer_names",
    "candidates",
    "check_answer",
    "check_file",
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
    "printed_value",
    "reference",
    "revealed",
    "run_predict",
    "variant_text",
    "words",
]
