"""LLM summaries against a local OpenAI-compatible server: good answer, failures, timeout → fallback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.articles.extract import extract_text
from bot.articles.pipeline import analyse, analyse_async
from bot.articles.summary import summarize
from bot.net.llm import LLMConfig, LLMSummarizer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "articles"
ARTICLE = extract_text((FIXTURES / "01-nvidia-blackwell-puces-ia" / "article.txt").read_text(encoding="utf-8"))
GOOD_ANSWER = (
    "Nvidia a présenté Blackwell, successeur de Hopper, lors de la GTC du 18 mars 2024. "
    "Le GPU B200 réunit deux dies et 208 milliards de transistors. "
    "Le constructeur promet jusqu'à 25 fois moins de coût pour l'inférence. "
    "Qu'en pensez-vous ?"
)


def _completion(content: Any) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }


@pytest.fixture
async def llm_server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    requests: list[dict[str, Any]] = []
    release = asyncio.Event()

    async def good(request: web.Request) -> web.Response:
        requests.append({"auth": request.headers.get("Authorization"), "body": await request.json()})
        return web.json_response(_completion(GOOD_ANSWER))

    async def failing(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "overloaded"}}, status=503)

    async def garbage(request: web.Request) -> web.Response:
        return web.Response(text="<html>proxy error</html>", content_type="text/html")

    async def empty(request: web.Request) -> web.Response:
        return web.json_response(_completion("   "))

    async def wrong_shape(request: web.Request) -> web.Response:
        return web.json_response({"choices": []})

    async def slow(request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(release.wait(), timeout=10)
        except TimeoutError:
            pass
        return web.json_response(_completion(GOOD_ANSWER))

    app = web.Application()
    for name, handler in {
        "good": good,
        "failing": failing,
        "garbage": garbage,
        "empty": empty,
        "shape": wrong_shape,
        "slow": slow,
    }.items():
        app.router.add_post(f"/{name}/v1/chat/completions", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}", requests
    finally:
        release.set()
        await server.close()


def _summarizer(base: str, path: str, timeout: float = 5.0) -> LLMSummarizer:
    return LLMSummarizer(LLMConfig(url=f"{base}/{path}/v1/", key="sk-test", model="tiny-model", timeout=timeout))


async def test_good_answer_is_used(llm_server: tuple[str, list[dict[str, Any]]]) -> None:
    base, requests = llm_server
    summary = await _summarizer(base, "good").summarize(ARTICLE.text, language="fr", title=ARTICLE.title)
    assert summary.method == "llm"
    assert summary.sentences == [
        "Nvidia a présenté Blackwell, successeur de Hopper, lors de la GTC du 18 mars 2024.",
        "Le GPU B200 réunit deux dies et 208 milliards de transistors.",
        "Le constructeur promet jusqu'à 25 fois moins de coût pour l'inférence.",
    ]  # the question the model added is dropped, the rest fits the budget
    assert len(summary.text) <= 600
    (request,) = requests
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "tiny-model"
    assert body["messages"][0]["role"] == "system" and "français" in body["messages"][0]["content"]
    assert ARTICLE.title in body["messages"][1]["content"]
    assert "Blackwell" in body["messages"][1]["content"]


@pytest.mark.parametrize("path", ["failing", "garbage", "empty", "shape"])
async def test_errors_fall_back_to_extractive(llm_server: tuple[str, list[dict[str, Any]]], path: str) -> None:
    base, _ = llm_server
    summary = await _summarizer(base, path).summarize(ARTICLE.text, language="fr", title=ARTICLE.title)
    assert summary == summarize(ARTICLE.text, language="fr", title=ARTICLE.title)
    assert summary.method == "extractive"


async def test_timeout_falls_back_quickly(llm_server: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = llm_server
    loop = asyncio.get_running_loop()
    started = loop.time()
    summary = await _summarizer(base, "slow", timeout=0.3).summarize(ARTICLE.text, language="fr")
    assert summary == summarize(ARTICLE.text, language="fr") and summary.sentences
    assert loop.time() - started < 2


async def test_unreachable_server_falls_back() -> None:
    summarizer = LLMSummarizer(LLMConfig(url="http://127.0.0.1:9/v1", key="k", model="m", timeout=2))
    summary = await summarizer.summarize(ARTICLE.text, language="fr")
    assert summary.method == "extractive"


async def test_analyse_async_uses_the_model_and_keeps_the_rest(llm_server: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = llm_server
    with_llm = await analyse_async(ARTICLE, _summarizer(base, "good"))
    plain = analyse(ARTICLE)
    assert with_llm.summary.method == "llm"
    assert (with_llm.questions, with_llm.keywords, with_llm.content_hash) == (
        plain.questions,
        plain.keywords,
        plain.content_hash,
    )
    assert (await analyse_async(ARTICLE, LLMSummarizer(None))).summary == plain.summary
    assert (await analyse_async(ARTICLE)).summary == plain.summary


def test_config_from_environment() -> None:
    assert LLMConfig.from_env({}) is None
    assert LLMConfig.from_env({"TRIBUNE_LLM_URL": "https://api.example/v1", "TRIBUNE_LLM_KEY": "k"}) is None
    config = LLMConfig.from_env(
        {
            "TRIBUNE_LLM_URL": "https://api.example/v1/",
            "TRIBUNE_LLM_KEY": "k",
            "TRIBUNE_LLM_MODEL": "m",
            "TRIBUNE_LLM_TIMEOUT": "7.5",
        }
    )
    assert config == LLMConfig(url="https://api.example/v1/", key="k", model="m", timeout=7.5)
    assert config.endpoint == "https://api.example/v1/chat/completions"
    assert not LLMSummarizer.from_env({}).enabled
    bad_timeout = {"TRIBUNE_LLM_URL": "u", "TRIBUNE_LLM_KEY": "k", "TRIBUNE_LLM_MODEL": "m", "TRIBUNE_LLM_TIMEOUT": "x"}
    assert LLMConfig.from_env(bad_timeout) == LLMConfig(url="u", key="k", model="m", timeout=20.0)
