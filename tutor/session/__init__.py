"""Front ends: the conversation loop, commands, prompt, plain UI, questions, editor, watch, app.
May import every stage below (pipeline, render, progress, sandbox, course, i18n); never torch.
"""
