from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from marketcast.core.auth.actor import Role, SignupRole


class SignupIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=200)
    role: SignupRole


class TokenIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class TokenOut(BaseModel):
    token: str


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: Role
    markets: list[str] | None
    created_at: datetime
