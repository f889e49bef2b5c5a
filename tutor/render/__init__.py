"""Rich renderables: the chat, verdicts, pictures, error explanations, Markdown and CJK wrapping."""
