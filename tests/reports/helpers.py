"""Reading exports back: PDF text (pypdf), embedded files, CSV rows."""

import csv
import io
import re

from pypdf import PdfReader


def pdf_reader(body):
    return PdfReader(io.BytesIO(body))


def pdf_text(body):
    """Every page's text, whitespace collapsed (cells wrap onto several lines)."""
    reader = pdf_reader(body)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def squeezed(text):
    """Text without any whitespace: a long payload wraps wherever the line ends."""
    return re.sub(r"\s+", "", text)


def embedded_files(body):
    """Names of embedded files and file-attachment annotations in the PDF (both must be 0)."""
    reader = pdf_reader(body)
    found = list(reader.attachments)
    names = reader.trailer["/Root"].get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        found.append("/EmbeddedFiles")
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            if annotation.get_object().get("/Subtype") == "/FileAttachment":
                found.append("/FileAttachment")
    return found


def csv_rows(body):
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
