# -*- coding: latin-1 -*-
text = "café crème"
print(text, len(text))
