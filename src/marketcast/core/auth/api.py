from fastapi import APIRouter, Request, status

from marketcast.core.auth import service
from marketcast.core.auth.schemas import SignupIn, TokenIn, TokenOut, UserOut
from marketcast.core.errors import Unauthorized
from marketcast.core.web_deps import AnyUser, UnitOfWork

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/signup", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def signup(body: SignupIn, uow: UnitOfWork):
    """Buyers, sellers and creators sign themselves up; operators are created by an operator."""
    return service.create_user(uow, email=body.email, role=body.role, password=body.password)


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenOut)
def create_token(body: TokenIn, request: Request, uow: UnitOfWork):
    address = client_address(request)
    service.check_throttle(uow, address=address)
    try:
        user = service.check_password(uow, email=body.email, password=body.password)
    except Unauthorized:
        request.state.commit_on_error = True  # the failure must be counted even though we answer 401
        service.record_failure(uow, address=address)
        raise
    service.clear_failures(uow, address=address)
    return TokenOut(token=service.issue_token(uow, user=user))


@router.get("/me", response_model=UserOut)
def me(actor: AnyUser, uow: UnitOfWork):
    return service.get_user_by_email(uow, actor.email)
