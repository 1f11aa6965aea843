"""A policy's value as the API carries it: one of its forms, by the key's type (`PolicyType`). The document
declares it as a `oneOf`, so a generated client gets a union it can switch on instead of an untyped value."""

from typing import Annotated, Any

from pydantic import Field, JsonValue, PlainValidator

from marketcast.core.money import Money


def _one_of(schema: dict[str, Any]) -> None:
    # The forms are disjoint in JSON (an integer is never a boolean), so exactly one of them matches.
    if "anyOf" in schema:
        schema["oneOf"] = schema.pop("anyOf")


_DESCRIPTION = ("int and duration keys: an integer; bool: true or false; enum: one of the key's choices; "
                "money: {amount, currency}; null: none (no requirement), where the key allows it")
Forms = int | bool | str | Money | None

# What the server answers: a value it stored, in its form.
PolicyValueOut = Annotated[Forms, Field(description=_DESCRIPTION, json_schema_extra=_one_of)]

# What a client sends: declared with the same forms, but taken as any JSON value, so that the policies' own
# check (`rules.check_value`) still decides and names what is wrong with it (422 at `value`).
PolicyValueIn = Annotated[JsonValue, PlainValidator(lambda value: value, json_schema_input_type=Forms),
                          Field(description=_DESCRIPTION, json_schema_extra=_one_of)]
