"""A counter document (workflows/counter.Document) as an A4 PDF.

Chinese text needs a Chinese font. The first of `FONT_FILES` found (or the file named by JOINTREVIEW_PDF_FONT) is
embedded, subset to the characters used, so the PDF reads the same everywhere; without one, the PDF names Adobe's
standard Song typeface (STSong-Light, Adobe-GB1), which every PDF reader brings for Chinese.
"""
from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from workflows.counter import Document

FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/truetype/arphic/uming.ttc", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
_lock = threading.Lock()
_font: str | None = None


def font_name() -> str:
    """The registered font for Chinese text (embedded when a font file is found)."""
    global _font
    with _lock:
        if _font is None:
            wanted = os.environ.get("JOINTREVIEW_PDF_FONT")
            for path in ([wanted] if wanted else []) + list(FONT_FILES):
                if path and Path(path).is_file():
                    try:
                        pdfmetrics.registerFont(TTFont("JointReviewCJK", path, subfontIndex=0))
                    except Exception:  # noqa: BLE001 - a font reportlab cannot read: try the next one
                        continue
                    _font = "JointReviewCJK"
                    break
            else:
                pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
                _font = "STSong-Light"
        return _font


def render(doc: Document, issuer: str, footer: str) -> bytes:
    """The document as PDF bytes: the issuer and title, the rows as a table, the numbered items, the paragraphs,
    and a line for the signature and seal."""
    font = font_name()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=1, spaceAfter=2 * mm)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=13, textColor=colors.HexColor("#555555"))
    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=f"{doc.title} {doc.number}", author=issuer,
                            subject=doc.title, creator="JointReview")
    story = [Paragraph(escape(issuer), ParagraphStyle("issuer", parent=body, alignment=1)),
             Paragraph(escape(doc.title), title),
             Paragraph(escape(f"编号：{doc.number}"), ParagraphStyle("no", parent=small, alignment=2)),
             Spacer(1, 3 * mm)]
    table = Table([[Paragraph(escape(label), body), Paragraph(escape(value), body)] for label, value in doc.rows],
                  colWidths=[38 * mm, None])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
                               ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [table, Spacer(1, 4 * mm)]
    if doc.items:
        story.append(Paragraph(escape(doc.items_label + "："), body))
        story += [Paragraph(escape(f"{n}. {item}"), ParagraphStyle("item", parent=body, leftIndent=6 * mm))
                  for n, item in enumerate(doc.items, 1)]
        story.append(Spacer(1, 3 * mm))
    text_style = ParagraphStyle("text", parent=body, firstLineIndent=22, spaceAfter=1.5 * mm)  # 首行缩进两字
    story += [Paragraph(escape(text), text_style) for text in doc.paragraphs]
    story += [Spacer(1, 14 * mm), Paragraph(escape(f"{issuer}（盖章）"), ParagraphStyle("seal", parent=body, alignment=2)),
              Paragraph(escape(footer), ParagraphStyle("date", parent=body, alignment=2))]
    pdf.build(story)
    return out.getvalue()
