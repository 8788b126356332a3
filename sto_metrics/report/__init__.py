"""The grant-application pack: content, charts and rendering to xlsx, html and docx."""
