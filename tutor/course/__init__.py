"""The course: lesson model, loader (path:line errors), validation, where the lesson files live."""
