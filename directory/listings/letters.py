"""The printable batch of claim letters: one page per letter, to the practice address of
record, with the one-time code, where to enter it and when it expires (fpdf2).

The codes come in with the batch (claims.print_letters issued them a moment ago and keeps
only their hashes): this module never reads the database.
"""

from fpdf import FPDF

from directory.listings.claims import Letter

#: Where the address sits, for a window envelope (#10, left window): millimetres.
ADDRESS_AT = (22, 50)


def _latin(text: str) -> str:
    # The core fonts hold Latin-1: a name with other letters prints with their closest form.
    return text.encode("latin-1", "replace").decode("latin-1")


def render(batch: list[Letter]) -> bytes:
    """The batch as one PDF, a US Letter page per letter."""
    pdf = FPDF(format="Letter", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title("Claim letters")
    pdf.set_creator("Kneaded")
    for letter in batch:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.set_xy(22, 20)
        pdf.cell(0, 8, "Kneaded, the massage therapist directory")
        pdf.set_font("Helvetica", "", 12)
        pdf.set_xy(*ADDRESS_AT)
        pdf.multi_cell(100, 6, _latin("\n".join(letter.address)))
        pdf.set_xy(22, 95)
        act = "claim" if letter.purpose == "claim" else "remove"
        body = (
            f"Dear {letter.name},\n\n"
            f"You asked to {act} your listing on Kneaded, which we made from public records "
            "of licensed massage therapists. To prove that this is your practice address, "
            "enter this one-time code:"
        )
        pdf.multi_cell(170, 6, _latin(body))
        pdf.ln(4)
        pdf.set_font("Courier", "B", 26)
        pdf.set_x(22)
        pdf.cell(170, 14, letter.code, align="C", border=1)
        pdf.ln(18)
        pdf.set_font("Helvetica", "", 12)
        rest = (
            f"Where: sign in, open {letter.where} and enter the code there.\n"
            f"It expires on {letter.expires_on:%B} {letter.expires_on.day}, "
            f"{letter.expires_on.year}, and works once.\n\n"
            "If you did not ask for this letter, someone else may be trying to claim your "
            "listing: you need not do anything, and you can tell us at the same address."
        )
        pdf.set_x(22)
        pdf.multi_cell(170, 6, _latin(rest))
        pdf.set_font("Helvetica", "", 8)
        pdf.set_xy(22, 260)
        pdf.cell(0, 5, f"Letter {letter.claim_id}")
    return bytes(pdf.output())
