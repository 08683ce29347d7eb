"""Social-post clean-up: links and markers go, the author's name stays."""

from __future__ import annotations

from service.querytext import clean_social_post


def test_links_and_markers_go_but_the_signature_name_stays() -> None:
    tweet = (
        "How are butterflies surviving the #AustralianFires? Footage by Julie Favell pic.twitter.com/0eJtwJyS1J "
        "— Center for Bio Div (@CenterForBioDiv) January 14, 2020"
    )
    cleaned = clean_social_post(tweet)
    assert "pic.twitter" not in cleaned and "#" not in cleaned and "@" not in cleaned
    assert "Australian Fires" in cleaned
    assert "Center for Bio Div" in cleaned  # the author's name is kept (BASELINES.md)
    assert "January 14, 2020" in cleaned


def test_marker_glued_to_a_link_and_html_entities() -> None:
    cleaned = clean_social_post("Yet they get away with it &amp; more #DefundTheCBChttps://t.co/CsHG8R9cHp — Brad")
    assert cleaned == "Yet they get away with it & more Defund The CBC — Brad"


def test_plain_claims_are_untouched_and_nothing_is_emptied() -> None:
    claim = "North Korea sent more than 10,000 soldiers to Kursk, officials said."
    assert clean_social_post(claim) == claim
    assert clean_social_post("e-mail me at someone@example.org") == "e-mail me at someone@example.org"
    assert clean_social_post("https://t.co/abc") == "https://t.co/abc"
