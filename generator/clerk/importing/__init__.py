"""`congxa import`: posts from Word (.docx) and PDF files (see importer.py)."""
