"""Audio -> text: decoding any voice note or clip with PyAV, conditioning it, recognising it with PocketSphinx or
Vosk and a grammar built from the parser's own language plus the live resource names, and how sure the
recogniser is (with the sentences worth offering in "Did you say X or Y?"). What the words mean is the
parser's business. See docs/voice.md."""
