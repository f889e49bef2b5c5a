"""Rich renderables: the chat, verdicts, pictures, error explanations, Markdown and CJK wrapping.
May import rich, tutor.judge.verdict, tutor.course, tutor.i18n, tutor.codeinfo; never torch.
"""
