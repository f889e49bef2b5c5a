"""Every string the interactive tutor says, in English and Chinese.

``t(key, lang, **fields)`` formats one string; ``detect_lang(environ)`` reads the
locale. Lesson text lives in the lessons; this module holds the tutor's own voice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

LANGS = ("en", "zh")

STRINGS: dict[str, tuple[str, str]] = {
    # -- welcome and navigation
    "welcome": (
        "**Welcome to torch-tutor.** Each step says what to do: press Enter to read on, type "
        "an answer, or type Python at the `>>>` prompt. `/help` lists the commands, `/hint` "
        "gives a nudge, Ctrl-D leaves (your progress is saved).",
        "**欢迎使用 torch-tutor**。每一步都会告诉你该做什么：按回车继续阅读、输入答案，"
        "或在 `>>>` 提示符后输入 Python 代码。`/help` 列出命令，`/hint` 给出提示，"
        "Ctrl-D 退出（进度会自动保存）。",
    ),
    "welcome_demo": (
        "**Welcome to torch-tutor.** Each step says what to do: press Enter to read on, type "
        "an answer, or type Python at the `>>>` prompt. `/help` lists the commands, `/hint` "
        "gives a nudge, Ctrl-D leaves.",
        "**欢迎使用 torch-tutor**。每一步都会告诉你该做什么：按回车继续阅读、输入答案，"
        "或在 `>>>` 提示符后输入 Python 代码。`/help` 列出命令，`/hint` 给出提示，Ctrl-D 退出。",
    ),
    "course_map_title": ("The course", "课程一览"),
    "col_minutes": ("about", "约"),
    "minutes": ("{n} min", "{n} 分钟"),
    "course_map_hint": (
        "About {hours} in all. You start at lesson {first}; `/goto LESSON` jumps to any lesson "
        "(`/goto {skip}` skips the set-up), and `/lessons` shows this list with your progress.",
        "全部约需 {hours}。你从第 {first} 课开始；`/goto 课号` 可以跳到任意一课"
        "（`/goto {skip}` 跳过安装配置），`/lessons` 会显示这张表和你的进度。",
    ),
    "hours": ("{h} h {m} min", "{h} 小时 {m} 分钟"),
    "bare_command": (
        "`{word}` without a slash: doing `/{command}` (commands start with `/`).",
        "没有斜杠的 `{word}`：按 `/{command}` 处理（命令以 `/` 开头）。",
    ),
    "welcome_back": (
        "Welcome back: continuing where you stopped.",
        "欢迎回来：从上次停下的地方继续。",
    ),
    "no_save": (
        "Progress is not saved in this session (--no-save).",
        "本次会话不保存进度（--no-save）。",
    ),
    "progress_line": (
        "lesson {lesson} · step {step}/{steps} · {done} done",
        "第 {lesson} 课 · 第 {step}/{steps} 步 · 已完成 {done} 步",
    ),
    "step_head": ("{lesson} — {title}", "{lesson} — {title}"),
    "press_enter": ("Press Enter to continue.", "按回车继续。"),
    "explore_next": ("Try anything you like; `/next` moves on.", "随意尝试；输入 `/next` 继续。"),
    "quiz_prompt": ("Type your answer (a number, or the words).", "输入你的答案（编号或文字）。"),
    "order_prompt": (
        "Type the item numbers in the right order, separated by spaces.",
        "按正确的顺序输入各项的编号，用空格隔开。",
    ),
    "output_prompt": ("Type what the code prints.", "输入这段代码会打印出的内容。"),
    "answer_prompt": ("Type your answer.", "输入你的答案。"),
    "course_done": (
        "**You have finished the course**: every exercise of every lesson is done. "
        "`/lessons` shows the whole way.",
        "**整个课程你都学完了**：每一课的练习都完成了。用 `/lessons` 可以回顾全部内容。",
    ),
    "course_end": (
        "**This was the last lesson of the course.** {left} of {total} lessons still have "
        "exercises to do: `/lessons` shows which, `/goto` takes you there.",
        "**这是课程的最后一课。**{total} 课中还有 {left} 课有没做完的练习："
        "用 `/lessons` 查看是哪些，用 `/goto` 跳过去。",
    ),
    "lesson_done": ("Lesson complete: {title}.", "本课完成：{title}。"),
    "lesson_end": (
        "End of the lesson {title}: {done} of {total} exercises done (/lessons shows which).",
        "{title} 这一课到此结束：{total} 道练习完成了 {done} 道（/lessons 可查看是哪些）。",
    ),
    "first_step": ("This is the first step.", "这已经是第一步了。"),
    "no_lessons": ("No lessons found.", "没有找到课程。"),
    "bye": ("Bye! Your progress is saved.", "再见！你的进度已保存。"),
    "internal_error": (
        "The tutor itself failed on that input ({error}); this is our bug, not your code. "
        "Everything answered so far is saved: carry on, or /quit. The details went to {log}.",
        "处理这条输入时教程自身出错了（{error}）：这是教程的问题，不是你的代码。"
        "已经答过的都已保存：可以继续，也可以 /quit。详细信息写到了 {log}。",
    ),
    "bye_nosave": ("Bye!", "再见！"),
    # -- running code
    "starting": ("starting PyTorch…", "正在启动 PyTorch…"),
    "checking": ("checking…", "正在检查…"),
    "no_sandbox": ("PyTorch could not start: {error}", "PyTorch 无法启动：{error}"),
    "sandbox_trouble": ("Something went wrong in the sandbox: {error}", "沙箱出了点问题：{error}"),
    "timeout": (
        "Your code ran longer than the time limit and was stopped. Look for a loop that "
        "never ends.",
        "你的代码运行超时，已被停止。检查一下是否有停不下来的循环。",
    ),
    "interrupted": ("Interrupted. Your variables are still there.", "已中断。你的变量都还在。"),
    "memory": (
        "Your code asked for more memory than this tutor allows, so it was stopped. "
        "Try a smaller tensor.",
        "你的代码申请的内存超过了允许的上限，已被停止。试试更小的张量。",
    ),
    "crashed": (
        "The Python process running your code crashed; a fresh one took over.",
        "运行代码的 Python 进程崩溃了；已换用新的进程。",
    ),
    "exited": (
        "Your code asked Python to exit; a fresh process took over.",
        "你的代码让 Python 退出了；已换用新的进程。",
    ),
    "killed": (
        "The Python process running your code was stopped from outside; a fresh one took over.",
        "运行代码的 Python 进程被外部终止；已换用新的进程。",
    ),
    "restarted": (
        "Your earlier code in this step was run again, so your variables are back.",
        "已重新运行你在本步骤中之前的代码，变量都恢复了。",
    ),
    "explained": ("What this means", "这是什么意思"),
    # -- verdicts
    "passed": ("✓ **Well done!** That is right.", "✓ **做得好**！完全正确。"),
    "not_yet": ("Not quite yet.", "还差一点。"),
    "check": ("check", "检查项"),
    "expected": ("expected", "期望"),
    "got": ("got", "你的结果"),
    "feedback": ("Feedback", "反馈"),
    "explanation": ("Why", "说明"),
    "warning_label": ("warning: ", "警告："),
    # -- verdict rows named in words ("x.shape" is code and stays as it is)
    "check_answer": ("answer", "答案"),
    "check_error": ("error", "报错"),
    "check_raises": ("raises", "应引发的异常"),
    "check_output": ("output", "输出"),
    "check_calls": ("calls", "调用"),
    "check_predicate": ("predicate", "条件"),
    "check_sandbox": ("sandbox", "沙箱"),
    "check_variant": ("variant", "换一组数据"),
    "check_type": ("{name}.type", "{name} 的类型"),
    "check_values": ("{name}.values", "{name} 的值"),
    "check_shares_memory": ("{name}.shares_memory", "{name} 共享内存"),
    "check_independent": ("{name}.independent", "{name} 内存独立"),
    "real_output": ("What the code really prints:", "这段代码实际输出："),
    "nothing_to_check": ("This step has nothing to check.", "这一步没有需要检查的内容。"),
    "not_attempted": (
        "Nothing to check yet: run some code first.",
        "还没有可检查的内容：先运行一些代码。",
    ),
    # -- hints and solutions
    "hint": ("hint {n} of {total}", "提示 {n}/{total}"),
    "no_hints": ("This step has no hints.", "这一步没有提示。"),
    "hints_used_up": (
        "That was the last hint. `/solution` shows the answer.",
        "提示已经用完了。输入 `/solution` 查看答案。",
    ),
    "solution_confirm": ("Show the solution? [y/N] ", "要查看答案吗？[y/N] "),
    "solution_run": ("Run it now? [y/N] ", "现在运行它吗？[y/N] "),
    "solution": ("Solution", "答案"),
    "answer_is": ("The answer: {answer}", "答案是：{answer}"),
    "no_solution": ("This step has no solution to show.", "这一步没有可显示的答案。"),
    "skipped": ("Skipped.", "已跳过。"),
    "gpu_skip": (
        "This step needs a GPU and this machine has none, so it is skipped: "
        "read it, then press Enter to go on.",
        "这一步需要 GPU，而这台机器没有，所以跳过：读完后按回车继续。",
    ),
    "error_not_yet": (
        "Not yet: your code stopped at the error above. Fix it and run it again.",
        "还没完成：代码在上面的错误处停下了。改正后再运行一次。",
    ),
    "rerun_passed": (
        "Your earlier try changed {names}; I ran your answer again from the start, and there "
        "it passes.",
        "你之前的尝试改变了 {names}；我从头重新运行了你的答案，这样是通过的。",
    ),
    "rerun_passed_any": (
        "Your earlier tries changed what this step starts from; I ran your answer again from "
        "the start, and there it passes.",
        "你之前的尝试改变了这一步的初始变量；我从头重新运行了你的答案，这样是通过的。",
    ),
    "rerun_failed": (
        "Your earlier try changed {names}: the verdict above is for your answer run again from "
        "the start. `/reset` gives you the set-up's values back at the prompt too.",
        "你之前的尝试改变了 {names}：上面的结果是从头重新运行你的答案得到的。"
        "输入 `/reset` 可以让提示符下的变量也恢复成预设的值。",
    ),
    "rerun_failed_plain": (
        "Your earlier try changed {names}: the verdict above is for your answer run again from "
        "the start.",
        "你之前的尝试改变了 {names}：上面的结果是从头重新运行你的答案得到的。",
    ),
    "reset_done": (
        "Fresh start for this step: the namespace was reset.",
        "本步骤已重新开始：命名空间已重置。",
    ),
    "given": ("Given:", "已给出："),
    "solution_typed": (
        "Press Enter to run it (you may edit it first; Ctrl-C cancels).",
        "按回车运行（可以先修改；Ctrl-C 取消）。",
    ),
    # -- editor and transcript
    "edit_not_code": (
        "`/edit` opens an editor on code steps only.",
        "`/edit` 只在代码步骤中打开编辑器。",
    ),
    "no_editor": ("The editor could not run: {error}", "无法运行编辑器：{error}"),
    "edit_empty": (
        "The file holds no code; nothing was run.",
        "文件里没有代码；没有运行任何内容。",
    ),
    "saved": ("Transcript saved to {path}.", "记录已保存到 {path}。"),
    "save_failed": ("Could not save the transcript: {error}", "无法保存记录：{error}"),
    # -- commands
    "help_title": ("Commands", "命令"),
    "unknown_command": ("Unknown command `{name}`.", "没有 `{name}` 这个命令。"),
    "did_you_mean": ("Did you mean `{name}`?", "你是不是想输入 `{name}`？"),
    "usage": ("Usage: {usage}", "用法：{usage}"),
    "unknown_lesson": (
        "No lesson `{name}`. `/lessons` lists them.",
        "没有 `{name}` 这节课。用 `/lessons` 查看全部课程。",
    ),
    "unknown_step": (
        "Lesson `{lesson}` has no step `{step}`.",
        "`{lesson}` 课没有 `{step}` 这一步。",
    ),
    "lang_set": ("Language: English.", "语言：中文。"),
    "lang_usage": ("Use `/lang en` or `/lang zh`.", "请使用 `/lang en` 或 `/lang zh`。"),
    "busy": ("PyTorch is still starting; try again in a moment.", "PyTorch 还在启动，请稍后再试。"),
    "no_vars": ("No variables yet.", "还没有变量。"),
    "not_found": ("`{name}` was not found.", "找不到 `{name}`。"),
    "no_answer": (
        "I don't know that one: the course says nothing that answers it well. `/hint` gives a "
        "nudge for this step, and `?name` shows what a function does (for example "
        "`?torch.arange`).",
        "这个问题我答不上来：课程里没有能很好回答它的内容。`/hint` 可以给这一步一点提示，"
        "`?名字` 可以查看某个函数的说明（例如 `?torch.arange`）。",
    ),
    "answers_title": ("From the course:", "课程中的相关内容："),
    "glossary": ("glossary", "术语表"),
    "maybe_question": (
        "`{name}` is not defined. Were you asking about it?",
        "`{name}` 未定义。你是想问这个吗？",
    ),
    # -- tables
    "col_name": ("name", "名称"),
    "col_type": ("type", "类型"),
    "col_shape": ("shape", "形状"),
    "col_dtype": ("dtype", "数据类型"),
    "col_device": ("device", "设备"),
    "col_grad": ("requires_grad", "requires_grad"),
    "col_lesson": ("lesson", "课程"),
    "col_title": ("title", "标题"),
    "col_steps": ("steps", "步骤"),
    "col_done": ("done", "完成"),
    "col_step": ("step", "步骤"),
    "col_status": ("status", "状态"),
    "col_attempts": ("attempts", "尝试"),
    "col_hints": ("hints", "提示"),
    "col_seconds": ("seconds", "秒"),
    "lessons_title": ("Lessons", "课程"),
    "env_title": ("Environment", "运行环境"),
    "env_gpu_none": ("none", "无"),
    "env_requested": ("asked for", "指定的设备"),
    "env_not_used": (
        "{device}: not usable here, so the CPU runs your code ({why})",
        "{device}：这里用不了，所以改由 CPU 运行你的代码（{why}）",
    ),
    "device_fallback": (
        "You asked for `--device {device}`, but {why}: your code runs on the CPU. "
        "`/env` shows the details.",
        "你指定了 `--device {device}`，但{why}：你的代码改在 CPU 上运行。用 `/env` 可查看详情。",
    ),
    "no_cuda_seen": (
        "PyTorch sees no CUDA GPU on this machine",
        "PyTorch 在这台机器上找不到 CUDA GPU",
    ),
    "no_mps_seen": (
        "PyTorch sees no MPS device on this machine",
        "PyTorch 在这台机器上找不到 MPS 设备",
    ),
    "device_broken": ("that device could not be used", "这个设备无法使用"),
    "progress_title": ("Your progress ({path})", "你的进度（{path}）"),
    "progress_empty": ("No progress recorded yet.", "还没有进度记录。"),
    "here": ("← you are here", "← 当前位置"),
    "status_passed": ("passed", "已通过"),
    "status_skipped": ("skipped", "已跳过"),
    "status_seen": ("seen", "看过"),
    "status_new": ("", ""),
    # -- store
    "corrupt_moved": (
        "The progress file was damaged; it was moved to {path} and a new one was started.",
        "进度文件已损坏；已移到 {path}，并新建了一个进度文件。",
    ),
    "store_failed": (
        "Progress cannot be saved ({error}); continuing without saving.",
        "无法保存进度（{error}）；本次不保存进度继续。",
    ),
}

HELP: tuple[tuple[str, str, str], ...] = (
    ("/help", "this list", "显示本列表"),
    ("/hint", "a hint (each one says a bit more)", "给一个提示（每次多说一点）"),
    (
        "/solution",
        "type the solution at the prompt (asks first); Enter runs it",
        "在提示符处输入答案（会先确认）；按回车运行",
    ),
    ("/skip", "skip this step", "跳过这一步"),
    ("/back", "the previous step", "回到上一步"),
    ("/next", "the next step", "下一步"),
    ("/reset", "a fresh namespace for this step", "为这一步重置命名空间"),
    ("/check", "check your answer now, in full", "立即完整检查你的答案"),
    ("/explain", "show the step's text again", "再显示一次本步骤的说明"),
    (
        "/edit",
        "write your answer in your editor ($EDITOR), then run it",
        "在编辑器（$EDITOR）中写答案，然后运行",
    ),
    (
        "/save FILE",
        "save this session as a handout (.html or text)",
        "把本次会话保存为讲义（.html 或文本）",
    ),
    ("/lessons", "the lessons and your progress", "课程列表与进度"),
    ("/goto LESSON[.STEP]", "jump to a lesson (and step)", "跳到某节课（及某一步）"),
    ("/vars", "your variables", "查看你的变量"),
    ("/env", "Python, PyTorch and the device", "Python、PyTorch 与设备信息"),
    ("/graph NAME", "the autograd graph behind a tensor", "查看张量背后的计算图"),
    ("/lang en|zh", "switch the language", "切换语言"),
    (
        "/quit",
        "leave (progress is saved, except with --no-save)",
        "退出（进度会保存，--no-save 时除外）",
    ),
    ("?name", "signature and docs of a torch object", "查看 torch 对象的签名与文档"),
    ("?? question", "ask in plain words", "用自然语言提问"),
)


def t(key: str, lang: str, **fields: Any) -> str:
    """The string ``key`` in ``lang`` (English for any other language), formatted."""
    en, zh = STRINGS[key]
    text = zh if lang == "zh" else en
    return text.format(**fields) if fields else text


def detect_lang(environ: Mapping[str, str] | None = None) -> str:
    """``zh`` when the first set of LC_ALL, LC_MESSAGES, LANG starts with ``zh``, else ``en``."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


__all__ = ["HELP", "LANGS", "STRINGS", "detect_lang", "t"]
