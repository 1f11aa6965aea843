"""Console pages for sellers (operators): find a seller; a seller's KYB data, documents (downloads), shops and
applications."""

from fastapi import APIRouter, Request

from marketcast.core.pagination import MAX_PAGE_SIZE
from marketcast.core.web_deps import UnitOfWork
from marketcast.sellers import documents
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleOperator, render
from marketcast.web.listing import PAGE_SIZE, PageParams, listing

router = APIRouter(prefix="/sellers")


@router.get("")
def seller_list(request: Request, uow: UnitOfWork, actor: ConsoleOperator, page: PageParams, q: str = "",
                country: str = ""):
    paged = sellers.list_sellers(uow, actor=actor, q=q, country=country, page_size=PAGE_SIZE, page_token=page.token)
    return render(request, "sellers.html", actor=actor,
                  sellers=listing(request, paged, page, {"q": q, "country": country}))


@router.get("/{seller_id}")
def seller_page(request: Request, seller_id: str, uow: UnitOfWork, actor: ConsoleOperator):
    seller = sellers.view_seller(uow, seller_id=seller_id, actor=actor)
    shops, _ = sellers.list_shops(uow, actor=actor, seller=seller.id, page_size=MAX_PAGE_SIZE)
    apps, _ = sellers.list_applications(uow, actor=actor, seller_id=seller.id, page_size=MAX_PAGE_SIZE)
    return render(request, "seller.html", actor=actor, seller=seller, shops=shops, applications=apps,
                  documents=documents.seller_documents(uow, seller_id=seller.id, actor=actor))
