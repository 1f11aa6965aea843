"""The console's form macros: an input's extra attributes are set as attributes (the ship form's carrier list
attaches) and a value typed by a person stays a value, whatever it contains."""

import pytest

from marketcast.web.common import templates


def _input(**kwargs) -> str:
    source = ('{% import "_ui.html" as ui %}'
              '{{ ui.input("carrier", "Carrier", form, error, field, attrs=attrs) }}')
    context = {"form": {}, "error": None, "field": None, **kwargs}
    return templates.env.from_string(source).render(**context)


def test_attributes_given_as_a_mapping_are_set_on_the_input():
    html = _input(attrs={"list": "carriers", "placeholder": "UPS", "required": True, "maxlength": None})
    assert 'list="carriers"' in html and 'placeholder="UPS"' in html and " required" in html
    assert "maxlength" not in html and "&#34;" not in html


def test_a_hostile_value_stays_inside_its_attribute():
    html = _input(attrs={"placeholder": '"><script>alert(1)</script>'}, form={"carrier": '" autofocus onfocus="x'})
    assert "<script>" not in html and 'onfocus="' not in html
    assert 'placeholder="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert 'value="&#34; autofocus onfocus=&#34;x"' in html


@pytest.mark.parametrize("name", ["onclick", "ONCLICK", "x y", 'a"b', "style=", ""])
def test_event_handlers_and_odd_names_are_refused(name):
    with pytest.raises(ValueError):
        _input(attrs={name: "1"})


def test_a_string_of_attributes_is_escaped_never_trusted():
    html = _input(attrs='list="carriers" onfocus="alert(1)"')
    assert 'onfocus="alert' not in html and 'list="carriers"' not in html


