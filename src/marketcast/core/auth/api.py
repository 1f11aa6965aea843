from fastapi import Request, status
from starlette.concurrency import run_in_threadpool

from marketcast.core.auth import login, service
from marketcast.core.auth.schemas import SignupIn, TokenIn, TokenOut, UserOut
from marketcast.core.db import unit_of_work
from marketcast.core.openapi import api_router, raises
from marketcast.core.web_deps import AnyUser, UnitOfWork, client_address

router = api_router("auth", "Sign-up, Bearer tokens (create, revoke) and the current user.", prefix="/api/v1/auth")


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=UserOut)
@raises("email_taken", "weak_password")
def sign_up(body: SignupIn, uow: UnitOfWork):
    """Buyers, sellers and creators sign themselves up; operators are created by an operator."""
    return service.create_user(uow, email=body.email, role=body.role, password=body.password)


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenOut)
@raises("invalid_credentials", "too_many_requests", "service_busy")
async def create_token(body: TokenIn, request: Request):
    """Exchange email and password for a Bearer token. Throttled: after a few wrong passwords for an account (or
    from an address) each further attempt waits a growing delay (429 with Retry-After)."""
    user = await login.login(email=body.email, password=body.password, address=client_address(request))
    return TokenOut(token=await run_in_threadpool(_issue, user))


def _issue(user) -> str:
    with unit_of_work() as session:
        return service.issue_token(session, user=user)


@router.delete("/tokens/current", status_code=status.HTTP_204_NO_CONTENT)
def revoke_current_token(request: Request, uow: UnitOfWork, _: AnyUser) -> None:
    """Revoke the Bearer token this request carries: later requests with it get 401."""
    service.revoke_token(uow, token=request.headers["authorization"].partition(" ")[2].strip())


@router.get("/me", response_model=UserOut)
@raises("user_not_found")
def get_current_user(actor: AnyUser, uow: UnitOfWork):
    """The user the Bearer token belongs to: email, role, and an operator's markets."""
    return service.get_user_by_email(uow, actor.email)
