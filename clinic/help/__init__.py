"""The help pages under /help: the clinician's guide and the clinical and training references
(docs/*.md), rendered on the server for logged-in clinicians, with no script or external
asset. The same files read as Markdown on the repository host."""
