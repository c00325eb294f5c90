"""The coins the simulator lists, by name only.

``SAMPLE_COINS`` are the canonical coins of the real January 2026 candle sample (658 markets on
Hyperliquid, MEXC and KuCoin, kept outside the repository): the SYMBOL part of each file name with the
quote, KuCoin's trailing ``M`` and one multiplier prefix removed
(docs/design.md §4). Embedding the names (never the candles)
lets the fake catalogue cover most of what a real scan asks for, and lets tests pick coins it lacks.
``EXTRA_COINS`` are real perpetual coins outside the sample, so the catalogue has the size of the real one.
"""

from __future__ import annotations

# fmt: off
SAMPLE_COINS: tuple[str, ...] = (
    "0G", "114514", "2Z", "4", "9BIT", "A2Z", "AAVE", "ABNBON", "ABTON", "ACE", "ACNON", "ACT", "ADA",
    "ADBEON", "AERO", "AGT", "AIN", "AIX", "AIXBT", "AIXDROP", "ALCH", "ALEO", "ALGO", "ALT", "AMDON",
    "ANIME", "APE", "APEX", "APPON", "APR", "APT", "AR", "ARB", "ARK", "ARMON", "ARTX", "ARVEX", "ASMLON",
    "ASTER", "AT", "ATH", "ATLA", "ATOM", "AVAX", "AVGOON", "AVNT", "B", "BABAON", "BABY", "BABYDOGE",
    "BANANA", "BB", "BCH", "BDX", "BEAT", "BERA", "BIGTIME", "BINANCELIFE", "BIO", "BLAST", "BLE", "BLUR",
    "BMT", "BNB", "BOBBOB", "BOME", "BONK", "BRETT", "BROCCOLI", "BSV", "BTC", "BULLA", "C", "CAKE", "CAMP",
    "CC", "CELO", "CETUS", "CFX", "CHECK", "CHILLGUY", "CHZ", "CLO", "COAI", "CODEX", "COINON", "COLLECT",
    "COMP", "COOKIE", "CORN", "COSTON", "CRCLON", "CRMON", "CRO", "CROSS", "CRV", "CSCOON", "CUDIS", "CVX",
    "CYS", "DAI", "DAM", "DASH", "DATASOUL", "DEEP", "DEFAI", "DOGE", "DOGS", "DOOD", "DOT", "DUSK", "DYDX",
    "DYM", "EDEN", "EIGEN", "ELIZAOS", "ENA", "ENS", "ENSO", "EPIC", "EPT", "ERA", "ES", "ESIM", "ESPORTS",
    "ETC", "ETH", "ETHFI", "EUR", "EVAA", "FARTCOIN", "FDUSD", "FET", "FF", "FHE", "FIGON", "FIL", "FLOCK",
    "FLOKI", "FLOW", "FLR", "FOGO", "FOLKS", "FTT", "FUTUON", "FXS", "GAIX", "GALA", "GAS", "GEON",
    "GIGGLE", "GMEON", "GMT", "GMX", "GOAT", "GRASS", "GRIFFAIN", "GRT", "GSON", "GUN", "H", "HAEDAL",
    "HAIO", "HANA", "HBAR", "HEMI", "HIMSON", "HIPPO", "HMSTR", "HOODON", "HYPE", "HYPER", "IBMON", "ICNT",
    "ICP", "IDOL", "IKA", "IMX", "INIT", "INJ", "INTCON", "IO", "IOTA", "IP", "IRYS", "JASMY", "JDON",
    "JELLYJELLY", "JGGL", "JPMON", "JTO", "JUP", "KAITO", "KAS", "KGEN", "KITE", "KLARA", "KRYON", "L3",
    "LAB", "LAYER", "LDO", "LIGHT", "LINEA", "LINK", "LINON", "LIT", "LLYON", "LPT", "LTC", "LUNA", "LUNC",
    "LYN", "M", "MANTA", "MAON", "MASK", "MAV", "MAVIA", "MBG", "ME", "MEGA", "MELANIA", "MEME", "MERL",
    "MET", "MEW", "MINA", "MINDHIVE", "MITO", "MKR", "MNT", "MOG", "MON", "MOODENG", "MORPHO", "MOVE",
    "MRVLON", "MSTRON", "MUBARAK", "MUON", "MX", "MYX", "NEAR", "NEIRO", "NEIROCTO", "NEO", "NFLXON",
    "NIGHT", "NIL", "NKEON", "NMR", "NOM", "NOT", "NOWON", "NVDAON", "NXPC", "OBT", "OG", "OKB", "OM",
    "ONDO", "ONT", "OP", "ORCA", "ORCLON", "ORDER", "ORDI", "PAXG", "PENDLE", "PENGU", "PEOPLE", "PEPE",
    "PIEVERSE", "PIPPIN", "PLK", "PLTRON", "PNUT", "POL", "POLYX", "PONKE", "POPCAT", "PRCL", "PRO",
    "PROMPT", "PROVE", "PTB", "PUMP", "PURR", "PVT", "PYTH", "Q", "QCOMON", "QTUM", "RAIN", "RAVE", "RAY",
    "RDDTON", "RECALL", "RENDER", "RESOLV", "REZ", "RIOTON", "RIVER", "RSR", "RUNE", "RVV", "S", "SAGA",
    "SAND", "SAPIEN", "SBETON", "SCR", "SEDA", "SEI", "SHIB", "SHOPON", "SKY", "SLVON", "SNOWON", "SNX",
    "SOL", "SOLAYER", "SOMI", "SOON", "SOPH", "SPELL", "SPOTON", "SPX", "SSV", "STABLE", "STBL", "STEEM",
    "STO", "STORJ", "STRK", "STX", "SUI", "SUPER", "SUSHI", "SUT", "SYRUP", "TA", "TAC", "TAKE", "TANSSI",
    "TAO", "TIA", "TLM", "TNSR", "TON", "TRADOOR", "TRB", "TRUMP", "TRUTH", "TRX", "TSLAON", "TSMON", "TST",
    "TURBO", "U", "UAI", "UB", "UBERON", "UCN", "UMA", "UNHON", "UNI", "USD1", "USDC", "USDE", "USDF",
    "USELESS", "USTC", "USUAL", "VELVET", "VET", "VFY", "VINE", "VIRTUAL", "VON", "VRA", "VVV", "W", "WBT",
    "WBTC", "WCT", "WET", "WIF", "WILD", "WLD", "WLFI", "WOO", "XAI", "XAN", "XAUT", "XDC", "XEC", "XLM",
    "XMR", "XPIN", "XPL", "XRP", "XUSD", "XYO", "YB", "YFI", "YGG", "YZY", "ZBCN", "ZBT", "ZEC", "ZEN",
    "ZEREBRO", "ZETA", "ZK", "ZKP", "ZORA", "ZRO", "ZRX"
)
# fmt: on

# fmt: off
EXTRA_COINS: tuple[str, ...] = (
    "XTZ", "EOS", "AXS", "MANA", "1INCH", "ANKR", "API3", "ARPA", "ASTR", "AUDIO", "BAKE", "BAL", "BAND",
    "BAT", "BEL", "BLZ", "BNT", "C98", "CELR", "CHR", "CKB", "COTI", "CTSI", "CYBER", "DENT", "DGB", "EGLD",
    "ENJ", "FLM", "GLM", "GTC", "HOT", "ICX", "ID", "IOST", "IOTX", "JOE", "KAVA", "KNC", "KSM", "LQTY",
    "LRC", "LSK", "MAGIC", "MTL", "NKN", "OGN", "ONE", "ONG", "OXT", "PERP", "PHB", "QNT", "RDNT", "REN",
    "RLC", "ROSE", "RPL", "RVN", "SFP", "SKL", "SLP", "STG", "STMX", "STPT", "SUN", "SXP", "T", "THETA",
    "TRU", "TWT", "UNFI", "WAVES", "WAXP", "XEM", "XVG", "XVS", "ZIL", "ACH", "AGLD", "ALICE", "ALPHA",
    "AMB", "ARKM", "BICO", "BNX", "COMBO", "DAR", "DODO", "EDU", "FIDA", "FRONT", "HFT", "HIGH", "HOOK",
    "IDEX", "JST", "KEY", "LEVER", "LINA", "LOOM", "MDT", "MOVR", "NTRN", "OMNI", "ORBS", "POWR", "PYR",
    "RAD", "RARE", "RIF", "SANTOS", "STRAX", "SYS", "TOKEN", "VANRY", "VIC", "VOXEL", "WIN", "AEVO",
    "BEAMX", "BSW", "CATI", "DOG", "DRIFT", "ETHW", "GHST", "GLMR", "HIFI", "LISTA", "LOKA", "METIS",
    "MYRO", "NFP", "OMG", "PORTAL", "PIXEL", "REI", "SATS", "SCRT", "TAIKO", "VANA", "XCN"
)
# fmt: on

#: Large coins: listed on every main venue, with coin-margined and USDC perpetuals, never "nowhere".
MAJOR_COINS: tuple[str, ...] = (
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "DOGE",
    "BNB",
    "ADA",
    "LINK",
    "AVAX",
    "LTC",
    "DOT",
    "BCH",
    "TRX",
    "SUI",
    "TON",
    "NEAR",
    "APT",
    "ARB",
    "OP",
    "FIL",
    "ATOM",
    "ETC",
    "UNI",
    "AAVE",
    "HYPE",
    "ENA",
    "WIF",
    "TIA",
)

#: Coins that must sit on the reference venues whatever their hash says (the tests and the demo rely on them).
PINNED_COINS: tuple[str, ...] = ("BTC", "ETH", "MAV", "PEPE", "BONK", "0G", "2Z", "MOG", "BABYDOGE", "SHIB")

#: How a venue writes a coin whose unit price is tiny: the contract"s base asset, per exchange code.
MULTIPLIED_BASES: dict[str, dict[str, str]] = {
    "A": {
        "PEPE": "1000PEPE",
        "BONK": "1000BONK",
        "FLOKI": "1000FLOKI",
        "SHIB": "1000SHIB",
        "LUNC": "1000LUNC",
        "MOG": "1000000MOG",
        "BABYDOGE": "1MBABYDOGE",
        "SATS": "1000SATS",
    },
    "6": {
        "PEPE": "1000PEPE",
        "BONK": "1000BONK",
        "FLOKI": "1000FLOKI",
        "MOG": "1000000MOG",
        "BABYDOGE": "1000000BABYDOGE",
        "SATS": "10000SATS",
        "LUNC": "1000LUNC",
    },
    "H": {
        "PEPE": "kPEPE",
        "BONK": "kBONK",
        "FLOKI": "kFLOKI",
        "SHIB": "kSHIB",
        "LUNC": "kLUNC",
        "NEIRO": "kNEIRO",
    },
}


def multiplier_of(base: str) -> float:
    """How many coins one unit of ``base`` stands for (``1000PEPE`` → 1000, ``kPEPE`` → 1000, ``BTC`` → 1)."""
    if base.startswith("k") and len(base) > 1 and (base[1].isupper() or base[1].isdigit()):
        return 1000.0
    for prefix, factor in (("1000000", 1e6), ("10000", 1e4), ("1000", 1e3), ("1M", 1e6)):
        if base.startswith(prefix) and len(base) > len(prefix) and base[len(prefix)].isalpha():
            return factor
    return 1.0
