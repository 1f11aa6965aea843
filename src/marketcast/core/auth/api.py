from fastapi import APIRouter, Request, status

from marketcast.core.auth import service
from marketcast.core.auth.schemas import SignupIn, TokenIn, TokenOut, UserOut
from marketcast.core.web_deps import AnyUser, UnitOfWork, client_address

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def signup(body: SignupIn, uow: UnitOfWork):
    """Buyers, sellers and creators sign themselves up; operators are created by an operator."""
    return service.create_user(uow, email=body.email, role=body.role, password=body.password)


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenOut)
def create_token(body: TokenIn, request: Request, uow: UnitOfWork):
    request.state.commit_on_error = True  # a failed attempt is counted even though we answer 401
    user = service.login(uow, email=body.email, password=body.password, address=client_address(request))
    return TokenOut(token=service.issue_token(uow, user=user))


@router.delete("/tokens/current", status_code=status.HTTP_204_NO_CONTENT)
def revoke_current_token(request: Request, uow: UnitOfWork, _: AnyUser) -> None:
    """Revoke the Bearer token this request carries: later requests with it get 401."""
    service.revoke_token(uow, token=request.headers["authorization"].partition(" ")[2].strip())


@router.get("/me", response_model=UserOut)
def me(actor: AnyUser, uow: UnitOfWork):
    return service.get_user_by_email(uow, actor.email)
