"""The conversation: the session loop, commands, the prompt, plain UI, questions, editor, watch."""
