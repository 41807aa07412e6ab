"""A practice's roster import tells a reader of the Spanish pages what is wrong with each line in
Spanish (the columns named as the file's header names them), and a reader of the English pages
in English; the editor's languages field says its problem in the reader's language too."""

import io
import json

import pytest

from tests.html_forms import form_fields, with_values
from tests.people import build_crew, log_in
from tests.reading import text

HEADER = "slug,name,setting,headline,phone,published,conditions,modalities,licenses,offices\n"
#: Lines 2 to 6 each wrong in their own way; line 7 is a duplicate of line 2's slug.
BAD_FILE = HEADER + (
    "fine-one,Fine One,medical,,,,,,,\n"
    "bad-one,Bad One,sauna,,,,backache-of-doom,,,\n"
    "bad-two,Bad Two,spa,,,,,laser-reiki,,\n"
    "bad-three,Bad Three,spa,,,,,,,Nowhere street\n"
    "zed-spa,Zed Taken,spa,,,,,,,\n"
    ",No Slug,spa,,,,,,,\n"
    "fine-one,Fine Again,spa,,,,,,,\n"
)
#: Each bad line's error in each language, as the preview shows it.
SAID = {
    "": [
        "Line 3, setting: must be one of spa, medical, both",
        "Line 3, conditions[0]: unknown condition 'backache-of-doom'",
        "Line 4, modalities[0]: unknown modality 'laser-reiki'",
        "Line 5, offices: “Nowhere street” is not “street, city, ST zip”",
        "Line 6, slug: 'zed-spa' is taken by a profile of another practice",
        "Line 7, slug: is required",
        "Line 8, slug: 'fine-one' already appears on line 2",
        "Line 1, unknown: unknown column",
    ],
    "/es": [
        "Línea 3, setting: debe ser una de estas opciones: spa, medical, both",
        "Línea 3, conditions[0]: afección desconocida 'backache-of-doom'",
        "Línea 4, modalities[0]: técnica desconocida 'laser-reiki'",
        "Línea 5, offices: «Nowhere street» no tiene la forma «calle, ciudad, ST código postal»",
        "Línea 6, slug: 'zed-spa' ya lo usa un perfil de otro consultorio: elija otro slug",
        "Línea 7, slug: es obligatorio",
        "Línea 8, slug: 'fine-one' ya aparece en la línea 2",
        "Línea 1, unknown: columna desconocida",
    ],
}


@pytest.fixture
def crew(make_practitioner):
    return build_crew(make_practitioner)


def upload(client, prefix: str, body: str, name: str):
    data = {"file": (io.BytesIO(body.encode()), name)}
    return client.post(
        f"{prefix}/dashboard/practices/crafted-hand/roster/preview", data=data,
        content_type="multipart/form-data",
    )  # fmt: skip


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_each_bad_line_of_a_csv_is_told_in_the_readers_language(client, crew, prefix):
    log_in(client, crew["owner"])
    body = BAD_FILE.replace(HEADER.strip(), HEADER.strip() + ",unknown")
    previewed = upload(client, prefix, body, "roster.csv")
    assert previewed.status_code == 200
    page = text(previewed)
    for said in SAID[prefix]:
        assert said in page, said
    other = SAID["/es" if prefix == "" else ""]
    assert not [said for said in other if said in page]


SPANISH_JSONL = [
    ("{not json", "Línea 1: Esta línea no es JSON válido (vea la columna 2)."),
    ("[1, 2]", "Línea 2: Esta línea debe ser un objeto JSON."),
    (json.dumps({"slug": "x-one", "name": "X", "setting": "spa", "price_min": 90,
                 "price_max": 50}), "Línea 3, price_max: no debe ser menor que price_min"),
    (json.dumps({"slug": "x-two", "name": "X", "setting": "spa", "colour": "red",
                 "licenses": [{"state": "ZZ", "number": "1", "expires": "soon",
                               "status": "verified"}]}),
     "Línea 4, colour: campo desconocido"),
]  # fmt: skip


def test_json_lines_errors_are_in_spanish_too(client, crew):
    log_in(client, crew["owner"])
    body = "\n".join(line for line, _said in SPANISH_JSONL)
    page = text(upload(client, "/es", body, "roster.jsonl"))
    for _line, said in SPANISH_JSONL:
        assert said in page, said
    assert "Línea 4, licenses[0].state: 'ZZ' no es un código de estado de EE. UU." in page
    assert "Línea 4, licenses[0].expires: debe ser una fecha como 2028-11-30" in page
    assert "must be" not in page and "unknown" not in page and "not valid" not in page


def test_a_status_only_reviewers_give_is_refused_in_spanish(client, crew):
    log_in(client, crew["owner"])
    line = {"slug": "claims", "name": "Claims", "setting": "medical", "tenant": "other-spa",
            "licenses": [{"state": "NJ", "number": "18KT01515009", "expires": "2040-01-01",
                          "status": "verified"}]}  # fmt: skip
    page = text(upload(client, "/es", json.dumps(line), "roster.jsonl"))
    assert (
        "Línea 1, licenses[0].status: solo los revisores del directorio marcan una licencia "
        "como verificada" in page
    )
    assert "Línea 1, tenant: 'other-spa' no es este consultorio (crafted-hand)" in page


EDIT = "/dashboard/profiles/alexa-marie/edit"


@pytest.mark.parametrize(
    ("prefix", "value", "said", "not_said"),
    [
        (
            "/es",
            "Spanish\x00",
            "Idiomas además del inglés: contiene caracteres de control.",
            "Languages",
        ),
        ("", "Spanish\x00", "Languages besides English contains control characters.", "Idiomas"),
        ("/es", "Klingon1", "«Klingon1» no es un nombre de idioma", "Languages"),
    ],
)
def test_the_languages_field_says_its_problem_in_the_readers_language(
    client, crew, prefix, value, said, not_said
):
    log_in(client, crew["alexa"])
    page = client.get(prefix + EDIT).get_data(as_text=True)
    fields = with_values(form_fields(page, prefix + EDIT), languages=value)
    response = client.post(prefix + EDIT, data=fields)
    assert response.status_code == 400
    shown = text(response)
    assert said in shown
    assert not_said not in shown  # the other language's label, as a prefix or anywhere


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        (
            "conditions",
            "no-such-thing",
            "«no-such-thing» no es una de las afecciones de nuestra lista.",
        ),
        ("modalities", "reiki-laser", "«reiki-laser» no es una de las técnicas de nuestra lista."),
        ("session_lengths", "50", "«50» no es una de las duraciones de sesión de nuestra lista."),
    ],
)
def test_a_value_not_in_a_checklist_is_refused_in_spanish(client, crew, field, value, said):
    log_in(client, crew["alexa"])
    page = client.get("/es" + EDIT).get_data(as_text=True)
    fields = with_values(form_fields(page, "/es" + EDIT), **{field: ["", value]})
    response = client.post("/es" + EDIT, data=fields)
    assert response.status_code == 400
    shown = text(response)
    assert said in shown
    assert "we list" not in shown
