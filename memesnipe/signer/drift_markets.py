"""The Drift v2 markets the signer accepts as an order's remaining accounts (transcribed).

Drift's ``place_perp_order`` reads, beyond its three declared accounts, every oracle, spot market
and perp market its margin check needs (the traded market and every market the user holds a
position in). The signer cannot import driftpy, so the markets are transcribed here from driftpy
0.8.89's constants (``driftpy.constants.perp_markets`` / ``spot_markets``,
mainnet and devnet: both envs run under the same program id); ``tests/signer/test_drift_markets.py``
checks this table equals driftpy's, so a driftpy upgrade that adds a market fails the test until
the table is regenerated. Market accounts are Drift PDAs (seeds ``b"perp_market"`` /
``b"spot_market"`` + u16 LE index), derived here on first use.
"""

from __future__ import annotations

from functools import cache

from solders.pubkey import Pubkey

from memesnipe.signer import programs as P

MAINNET_PERP: tuple[tuple[int, str], ...] = (
    (0, "3m6i4RFWEDw2Ft4tFHPJtYgmpPe21k56M3FHeWYrgGBz"),  # SOL-PERP
    (1, "35MbvS1Juz2wf7GsyHrkCw8yfKciRLxVpEhfZDZFrB4R"),  # BTC-PERP
    (2, "93FG52TzNKCnMiasV14Ba34BYcHDb9p4zK4GjZnLwqWR"),  # ETH-PERP
    (3, "CXZhzKePYajrZgZyrzgvHYFKK3c5tNgDrRobAgySo8Nb"),  # APT-PERP
    (4, "BERaNi6cpEresbq6HC1EQGaB1H1UjvEo4NGnmYSSJof4"),  # 1MBONK-PERP
    (5, "HDveCibToLf157NtUqShCEWX3GcF4Aq8Ngt2bst1s1cc"),  # POL-PERP
    (6, "5DYEjGpr28q3EsLKAnLXiDq6UeaFgDFZ5Gdwgp5RmPAp"),  # ARB-PERP
    (7, "GqjDJZu9bNCebq5PTUbjRrgw1LK84GEexVjrfYJ76YXc"),  # DOGE-PERP
    (8, "A9J2j1pRB2aPqAbjUTtKy94niSCTuPUrpimfzvpZHKG1"),  # BNB-PERP
    (9, "HmeJeBKgceqvSBd5XBXZUYECLabnbS1SefLkeJKH8ERK"),  # SUI-PERP
    (10, "Eo8x9Y1289GvsuYVwRS2R8HfiWRXxYofL1KYvHK2ZM2o"),  # 1MPEPE-PERP
    (11, "7GPbmQee2T4jMsJg99GuzWyMuzr8c2Uk7rAR9qvvQkzf"),  # OP-PERP
    (12, "97EqsAGbTnShB7oYWAFFCVVAx8PWXgDYDhcpm99izNQ4"),  # RENDER-PERP
    (13, "92VexDMsSzYvVq7eiEoodEzZxCLqYnfGKpVTqpkX12FY"),  # XRP-PERP
    (14, "AEPgc6qUTCT8AwdckPcGbJXtcM9bj8mGYAyHE4BscJtm"),  # HNT-PERP
    (15, "Ac442xcU276nb6gJFUCsNYAwAo6KWuw4xocxmG3nvDym"),  # INJ-PERP
    (16, "rwyPmfH5xsHdjPf6XsVxvyQEZogX2k4pmhaKEVvgseW"),  # LINK-PERP
    (17, "4CyhPqyVK3UQHFWhEpk91Aw4WbBsN3JtyosXH6zjoRqG"),  # RLB-PERP
    (18, "6Sfx8ZAt6xaEgMXTahR6GrT7oYB6nFBMoVyCmMyHmeJV"),  # PYTH-PERP
    (19, "2rDfWydvqvMQjDuf7vQsgfpa6dLMZehrWrpoXitn6gPx"),  # TIA-PERP
    (20, "CGCz4mB8NsDddCq6BZToRUDUuktzsAfpKYh6ATgyyCGF"),  # JTO-PERP
    (21, "Edk1TWipQtsaD8nnBXYQV1CEAiQb1GFtEAKeFZCi2A4C"),  # SEI-PERP
    (22, "5ASZLwk3GFCwZiDQ3XpmduRqNPEUGHXjELMX85u8McK3"),  # AVAX-PERP
    (23, "4QXWStoyEErTZFVsvKrvxuNa6QT8zpeA8jddZunSGvYE"),  # WIF-PERP
    (24, "DXqKSHyhTBKEW4qgnL7ycbf3Jca5hCvUgWHFYWsh4KJa"),  # JUP-PERP
    (25, "HWDqaKbbNrEsgWPLMeKG39AguefMbHsWcvNSthToXG2t"),  # DYM-PERP
    (26, "44fqbLqAkKK5kEj1FFvuEPYq56XoQQL3ABzCPrqsW3Cv"),  # TAO-PERP
    (27, "CsFUXiA5dM4eCKjVBBy8tXhXzDkDRNoYjU5rjpHyfNEZ"),  # W-PERP
    (28, "6ua3DK1sHoYyNi15dsxy6RYwUcZPDDXfyChzaRMaheQF"),  # KMNO-PERP
    (29, "EX6r1GdfsgcUsY6cQ6YsToV4RGsb4HKpjrkokK2DrmsS"),  # TNSR-PERP
    (30, "5VJou4ufN2vE11zyZUaLsKLTXhyzCTgiq6QDsts2YnnD"),  # DRIFT-PERP
    (31, "9Ennia27iT83kNAk3JtRKxSMzuCzsVtT4MzuxpE7anME"),  # CLOUD-PERP
    (32, "8x84eFZVGD9C8vmQqnB9P8UDPMdDWduFaULspKUYGthP"),  # IO-PERP
    (33, "HVwBCaR4GEB1fHrp7xCTzbYoZXL3V8b1aek2swPrmGx3"),  # ZEX-PERP
    (34, "C5fiAmQyjdfDR4EGepZqnEL3fJwMBav5yoAk6XyKMF6u"),  # POPCAT-PERP
    (35, "F47c7aJgYkfKXQ9gzrJaEpsNwUKHprysregTWXrtYLFp"),  # 1KWEN-PERP
    (36, "7YrQUxmxGdbk8pvns9KcL5ojbZSL2eHj62hxRqggtEUR"),  # TRUMP-WIN-2024-BET
    (37, "AowFw1dCVjS8kngvTCoT3oshiUyL69k7P1uxqXwteWH4"),  # KAMALA-POPULAR-VOTE-2024-BET
    (38, "5QzgqAbEhJ1cPnLX4tSZEXezmW7sz7PPVVg2VanGi8QQ"),  # FED-CUT-50-SEPT-2024-BET
    (39, "BtUUSUc9rZSzBmmKhQq4no65zHQTzMFeVYss7xcMRD53"),  # REPUBLICAN-POPULAR-AND-WIN-BET
    (40, "2ftYxoSupperd4ULxy9xyS2Az38wfAe7Lm8FCAPwjjVV"),  # BREAKPOINT-IGGYERIC-BET
    (41, "8HTDLjhb2esGU5mu11v3pq3eWeFqmvKPkQNCnTTwKAyB"),  # DEMOCRATS-WIN-MICHIGAN-BET
    (42, "Cbhiaky9kxDsviokcQaS9qc4HmpAzLaGjfmdSah1qakL"),  # TON-PERP
    (43, "DpJz7rjTJLxxnuqrqZTUjMWtnaMFAEfZUv5ATdb9HTh1"),  # LANDO-F1-SGP-WIN-BET
    (44, "469WQgfJ6AJ3eJ8FUcdhiZawf7yNChA3hseTSyhFatHZ"),  # MOTHER-PERP
    (45, "CVy5m6JqhEdjbz11idgVeb2KnH5NpFowKnYPVMdfc7FC"),  # MOODENG-PERP
    (46, "Dz5Nvxo1hv7Zfyu11hy8e97twLMRKk6heTWCDGXytj7N"),  # WARWICK-FIGHT-WIN-BET
    (47, "53j4mz7cQV7mAZekKbV3n2L4bY7jY6eXdgaTkWDLYxq4"),  # DBR-PERP
    (48, "7LpRfPaWR7cQqN7CMkCmZjEQpWyqso5LGuKCvDXH5ZAr"),  # WLF-5B-1W-BET
    (49, "E36rvXEwysWeiToXCpWfHVADd8bzzyR4w83ZSSwxAxqG"),  # VRSTPN-WIN-F1-24-DRVRS-CHMP
    (50, "6AVy1y9SnJECnosQaiK2uY1kcT4ZEBf1F4DMvhxgvhUo"),  # LNDO-WIN-F1-24-US-GP
    (51, "138RQdT1frDTnEp989V7gUWoQ5yg382ns4ihjvgJLcz7"),  # 1KMEW-PERP
    (52, "GHzvsMDMSiuyZoWhEAuM27MKFdN2Y4fA4wSDuSd6dLMA"),  # MICHI-PERP
    (53, "4uBrnNZyD2wUkpzytuyfiEYp2eWA3WdxXSbWEQbZzs45"),  # GOAT-PERP
    (54, "5Z7uvkAsHNN6qqkQkwcKcEPYZqiMbFE9E24p7SpvfSrv"),  # FWOG-PERP
    (55, "Fbd2hz8Uz26gLm2Jrj7WSrhxusrh9VuSEWVpLBPJgMYX"),  # PNUT-PERP
    (56, "6VXU2P9BJkuPkfA7FJVonBtAo1c2pGnHoV9rxsdZKZyb"),  # RAY-PERP
    (57, "GfTeKKnBxeLSB1Hm24ArjduQM4yqaAgoGgiC99gq5E2P"),  # SUPERBOWL-LIX-LIONS-BET
    (58, "EdB17Nyu4bnEBiSEfFrwvp4VCUvtq9eDJHc6Ujys3Jwd"),  # SUPERBOWL-LIX-CHIEFS-BET
    (59, "3ivZ5AnnUhocgmjiWjT8kDV87S6PpEL3CEHcd3vn2itM"),  # HYPE-PERP
    (60, "CrW8rga5bEZP1KBnqoQmPUcnYjrCPYQFbrMja99QKxsK"),  # LTC-PERP
    (61, "BboTg1yT114FQkqT6MM3P3G3CcCktuM2RePgU8Gr3K4A"),  # ME-PERP
    (62, "4A3KroGPjZxPAeBNF287V3NyRwV2q8iBi1vX7kHxTCh7"),  # PENGU-PERP
    (63, "3BGheQVvYtBNpBKSUXSTjpyKQc3dh8iiwT91Aiq7KYCU"),  # AI16Z-PERP
    (64, "FPQjZYvHRGy51guJ77p7n9u9b8eo1ktKRc2D2g5Vysth"),  # TRUMP-PERP
    (65, "3RgNWYYcZCKf5uZfriK8ASUbGQErhH6YbpdvZQ7ZKDCf"),  # MELANIA-PERP
    (66, "r8eNLQ8jysUyk9rrWXuicwAoKZ7V3YngAB6737zfxmv"),  # BERA-PERP
    (67, "HieNNSAy9tjtU2mLEcGtgCMViCeZ1881fX7tfezL7wdV"),  # NBAFINALS25-OKC-BET
    (68, "HorrnsG8RBMv7dhzbgPX4wqcWbUTV5NwV8r59UwTu4CJ"),  # NBAFINALS25-BOS-BET
    (69, "8M8mjNJ42k2Xi12Q1zRnQRC3xhggu3WGuftiu5VZZmsF"),  # KAITO-PERP
    (70, "AZVVDFve8ijzLAm9z6W53GFsoWbcycFsdxCL7WUjMz8S"),  # IP-PERP
    (71, "2sZomfWMDuQLcFak3nuharXorHrZ3hK8iaML6ZGSHtso"),  # FARTCOIN-PERP
    (72, "55722FS8VeAxRghz5h2ARJvNjkFiHyzkZ9BF7CEQWN6E"),  # ADA-PERP
    (73, "8FauFNbX2gvjkPLH8w2kntXCcSGCwZL2prZjHBpvq6aE"),  # PAXG-PERP
    (74, "GAzR3C5cn7gGVvuqJB57wSYTPWP3n2Lw4mRJRxvTvqYy"),  # LAUNCHCOIN-PERP
    (75, "5r8RWTaRiMgr9Lph3FTUE3sGb1vymhpCrm83Bovjfcps"),  # PUMP-PERP
    (76, "E4tyjB3os4jVczLVQ258uxLdcwjuqmhcsPquVWgrpah4"),  # ASTER-PERP
    (77, "6kgE1KJcxTux4tkPLE8LL8GRyW2cAsvyZsDFWqCrhHVe"),  # XPL-PERP
    (78, "4HTDpcHAwBTHCJLNMwT35w4FGc4nfA4YhT1BkcZQwQ2m"),  # 2Z-PERP
    (79, "BXunfRSyiQWJHv88qMvE42mpMpksWEC8Bf13p2msnRms"),  # ZEC-PERP
    (80, "Gy7cJ4U1nxMA44XXC3hwqkpcxEB1mZTYiwJVkaqZfU7u"),  # MNT-PERP
    (81, "5r8RWTaRiMgr9Lph3FTUE3sGb1vymhpCrm83Bovjfcps"),  # 1KPUMP-PERP
    (82, "HN7qfUNM5Q7gQTwyEucmYdCF4CjwUrspj3DbNQ4V8P52"),  # MET-PERP
    (83, "585jsthKg9BeTfnFGAxgfNie9krGGyPbd5feMpWneHf7"),  # 1KMON-PERP
    (84, "HsfwxaJdpY5Dvd3ttrrY7YL635T7D9W443XdTwE2Dvbh"),  # LIT-PERP
)
DEVNET_PERP: tuple[tuple[int, str], ...] = (
    (0, "3m6i4RFWEDw2Ft4tFHPJtYgmpPe21k56M3FHeWYrgGBz"),  # SOL-PERP
    (1, "35MbvS1Juz2wf7GsyHrkCw8yfKciRLxVpEhfZDZFrB4R"),  # BTC-PERP
    (2, "93FG52TzNKCnMiasV14Ba34BYcHDb9p4zK4GjZnLwqWR"),  # ETH-PERP
    (3, "79EWaCYU9jiQN8SbvVzGFAhAncUZYp3PjNg7KxmN5cLE"),  # APT-PERP
    (4, "BERaNi6cpEresbq6HC1EQGaB1H1UjvEo4NGnmYSSJof4"),  # 1MBONK-PERP
    (5, "BrzyDgwELy4jjjsqLQpBeUxzrsueYyMhuWpYBaUYcXvi"),  # POL-PERP
    (6, "8ocfAdqVRnzvfdubQaTxar4Kz5HJhNbPNmkLxswqiHUD"),  # ARB-PERP
    (7, "23y63pHVwKfYSCDFdiGRaGbTYWoyr8UzhUE7zukyf6gK"),  # DOGE-PERP
    (8, "Dk8eWjuQHMbxJAwB9Sg7pXQPH4kgbg8qZGcUrWcD9gTm"),  # BNB-PERP
    (9, "HBordkz5YxjzNURmKUY4vfEYFG9fZyZNeNF1VDLMoemT"),  # SUI-PERP
    (10, "CLxofhtzvLiErpn25wvUzpZXEqBhuZ6WMEckEraxyuGt"),  # 1MPEPE-PERP
    (11, "C9Zi2Y3Mt6Zt6pcFvobN3N29HcrzKujPAPBDDTDRcUa2"),  # OP-PERP
    (12, "8TQztfGcNjHGRusX4ejQQtPZs3Ypczt9jWF6pkgQMqUX"),  # RENDER-PERP
    (13, "9757epAjXWCWQH98kyK9vzgehd1XDVEf7joNHUaKk3iV"),  # XRP-PERP
    (14, "9b1rcK9RUPK2vAqwNYCYEG34gUVpS2WGs2YCZZy2X5Tb"),  # HNT-PERP
    (15, "BfXcyDWJmYADa5eZD7gySSDd6giqgjvm7xsAhQ239SUD"),  # INJ-PERP
    (16, "Gwvob7yoLMgQRVWjScCRyQFMsgpRKrSAYisYEyjDJwEp"),  # LINK-PERP
    (17, "4CyhPqyVK3UQHFWhEpk91Aw4WbBsN3JtyosXH6zjoRqG"),  # RLB-PERP
    (18, "GqkCu7CbsPVz1H6W6AAHuReqbJckYG59TXz7Y5HDV7hr"),  # PYTH-PERP
    (19, "C6LHPUrgjrgo5eNUitC8raNEdEttfoRhmqdJ3BHVBJhi"),  # TIA-PERP
    (20, "Ffq6ACJ17NAgaxC6ocfMzVXL3K61qxB2xHg6WUawWPfP"),  # JTO-PERP
    (21, "EVyoxFo5jWpv1vV7p6KVjDWwVqtTqvrZ4JMFkieVkVsD"),  # SEI-PERP
    (22, "FgBGHNex4urrBmNbSj8ntNQDGqeHcWewKtkvL6JE6dEX"),  # AVAX-PERP
    (23, "J9nrFWjDUeDVZ4BhhxsbQXWgLcLEgQyNBrCbwSADmJdr"),  # W-PERP
    (24, "7aqj2wH1BH8XT3QQ3MWtvt3My7RAGf5Stm3vx5fiysJz"),  # KMNO-PERP
    (25, "F47c7aJgYkfKXQ9gzrJaEpsNwUKHprysregTWXrtYLFp"),  # 1KWEN-PERP
    (26, "3TVuLmEGBRfVgrmFRtYTheczXaaoRBwcHw1yibZHSeNA"),  # TRUMP-WIN-2024-PREDICT
    (27, "GU6CA7a2KCyhpfqZNb36UAfc9uzKBM8jHjGdt245QhYX"),  # KAMALA-POPULAR-VOTE-2024
    (28, "sDAQaZQJQ4RXAxH3x526mbEXyQZT15ktkL84d7hmk7M"),  # RANDOM-2024-BET
)
MAINNET_SPOT: tuple[tuple[int, str], ...] = (
    (0, "9VCioxmni2gDLv11qufWzT3RDERhQE4iY5Gf7NTfYyAV"),  # USDC
    (1, "3m6i4RFWEDw2Ft4tFHPJtYgmpPe21k56M3FHeWYrgGBz"),  # SOL
    (2, "FY2JMi1vYz1uayVT2GJ96ysZgpagjhdPRG2upNPtSZsC"),  # mSOL
    (3, "fqPfDa6uQr9ndMvwaFp4mUBeUrHmLop8Jxfb1XJNmVm"),  # wBTC
    (4, "93FG52TzNKCnMiasV14Ba34BYcHDb9p4zK4GjZnLwqWR"),  # wETH
    (5, "JDKJSkxjasBGL3ce1pkrN6tqDzuVUZPWzzkGuyX8m9yN"),  # USDT
    (6, "2cHCtAkMnttMh3bNKSCgSKSP5D4yN3p8bfnMdS3VZsDf"),  # jitoSOL
    (7, "6Sfx8ZAt6xaEgMXTahR6GrT7oYB6nFBMoVyCmMyHmeJV"),  # PYTH
    (8, "6YEQjxkbhfrWV2VdR9zxBJxWYshcMYRs6bpuX1ng2CbP"),  # bSOL
    (9, "CGCz4mB8NsDddCq6BZToRUDUuktzsAfpKYh6ATgyyCGF"),  # JTO
    (10, "4QXWStoyEErTZFVsvKrvxuNa6QT8zpeA8jddZunSGvYE"),  # WIF
    (11, "DXqKSHyhTBKEW4qgnL7ycbf3Jca5hCvUgWHFYWsh4KJa"),  # JUP
    (12, "97EqsAGbTnShB7oYWAFFCVVAx8PWXgDYDhcpm99izNQ4"),  # RENDER
    (13, "CsFUXiA5dM4eCKjVBBy8tXhXzDkDRNoYjU5rjpHyfNEZ"),  # W
    (14, "EX6r1GdfsgcUsY6cQ6YsToV4RGsb4HKpjrkokK2DrmsS"),  # TNSR
    (15, "5VJou4ufN2vE11zyZUaLsKLTXhyzCTgiq6QDsts2YnnD"),  # DRIFT
    (16, "7SAxf2SCJe5c72rZNo4etpGjz5TaEAqi8QkbfpRbouuT"),  # INF
    (17, "EopUQMXT56Lbyg1DKDbc7VAQFcx4QGBKBepZxeKe1sJf"),  # dSOL
    (18, "9PgHM68FNGDK6nHb29ERDBcFrV6gNMD8LyUqwxbyyeb2"),  # USDY
    (19, "4VMtKepA6iFwMTJ7bBbdcGxavNRKiDjxxRr1CaB2NnFJ"),  # JLP
    (20, "C5fiAmQyjdfDR4EGepZqnEL3fJwMBav5yoAk6XyKMF6u"),  # POPCAT
    (21, "9Ennia27iT83kNAk3JtRKxSMzuCzsVtT4MzuxpE7anME"),  # CLOUD
    (22, "5QZMnsyndmphvZF4BNgoMHwVZaREXeE2rpBoCPMxgCCd"),  # PYUSD
    (23, "5uR6oza6teuMRpjsbMi9fDhCDid2hoYdRBiLW7WzcK54"),  # USDe
    (24, "CX7JCXtUTiC43ZA4uzoH7iQBD15jtVwdBNCnjKHt1BrQ"),  # sUSDe
    (25, "2LxMbHBHsw74aE3XgfthmUNkdDfUGcSEy3G3D3t642fd"),  # BNSOL
    (26, "469WQgfJ6AJ3eJ8FUcdhiZawf7yNChA3hseTSyhFatHZ"),  # MOTHER
    (27, "D1QgWnMoPzB4wJ79Egrc6MGYYM3HHVNhpff1QQHDSoCq"),  # cbBTC
    (28, "5Km85n3s9Zs5wEoXYWuHbpoDzst4EBkS5f1XuQJGG1DL"),  # USDS
    (29, "DwYF1yveo8XTF1oqfsqykj332rjSxAd7bR6Gu6i4iUET"),  # META
    (30, "BboTg1yT114FQkqT6MM3P3G3CcCktuM2RePgU8Gr3K4A"),  # ME
    (31, "4A3KroGPjZxPAeBNF287V3NyRwV2q8iBi1vX7kHxTCh7"),  # PENGU
    (32, "BERaNi6cpEresbq6HC1EQGaB1H1UjvEo4NGnmYSSJof4"),  # Bonk
    (33, "DtmeBbyWat6p2vSpRhuZ4MGRndXr2cdpd4GV8izCFvLb"),  # JLP-1
    (34, "9VCioxmni2gDLv11qufWzT3RDERhQE4iY5Gf7NTfYyAV"),  # USDC-1
    (35, "BHqLyA9ov1VPNzt8eb5bt75X2Vk1EVKw1d9Qa78Gk5tR"),  # AI16Z
    (36, "FPQjZYvHRGy51guJ77p7n9u9b8eo1ktKRc2D2g5Vysth"),  # TRUMP
    (37, "3RgNWYYcZCKf5uZfriK8ASUbGQErhH6YbpdvZQ7ZKDCf"),  # MELANIA
    (38, "9JYpqJfLXgrW8Wqzfd93GvJF73m2jJFjNqpQv3wQtehZ"),  # AUSD
    (39, "2sZomfWMDuQLcFak3nuharXorHrZ3hK8iaML6ZGSHtso"),  # FARTCOIN
    (40, "Fqv8vT5fdjvBbHd5k4B4ZvnXLH6bbdKP8cMv93ybCP8W"),  # JitoSOL-3
    (41, "CLjvwowzQ2L9PrmXA6zqbamxLVeDY9vE87aBxMZLJLoY"),  # PT-fragSOL-10JUL25
    (42, "G4FdLzuezfaJxBd8eChuw1NU4Sq3n1rasGTwSh7dXegN"),  # PT-kySOL-15JUN25-3
    (43, "BR4NCRe2R8shvDAskUt6HE3n8Ej8HdMnVqshLz97BMm9"),  # PT-dSOL-30JUN25-3
    (44, "DPvVSQYhZXQ2ygfT2Qjdg6iyeQVAyiz8okj88YRjy6NN"),  # JTO-3
    (45, "3xcpvBUVV8ALVV4Wod733Vyic3fe8iJAeXDpRdk19Z3p"),  # zBTC
    (46, "8cH72H3vqYPArV9QvkYJkwzTdsdNPPgVPrusz9sMmgNN"),  # ZEUS
    (47, "9VCioxmni2gDLv11qufWzT3RDERhQE4iY5Gf7NTfYyAV"),  # USDC-4
    (48, "JDKJSkxjasBGL3ce1pkrN6tqDzuVUZPWzzkGuyX8m9yN"),  # USDT-4
    (49, "3PiwrLLyiuWaxS7zJL5znGR9iYD3KWubZThdQzsCdg2e"),  # SOL-2
    (50, "Fqv8vT5fdjvBbHd5k4B4ZvnXLH6bbdKP8cMv93ybCP8W"),  # JitoSOL-2
    (51, "DPvVSQYhZXQ2ygfT2Qjdg6iyeQVAyiz8okj88YRjy6NN"),  # JTO-2
    (52, "EUQQD2fNN7h7su5TbWpUnf22zeGtF3RjEX2hgX2YPfLd"),  # dfdvSOL
    (53, "GheMfcCB49SuVCWrFReQDD2tLkcPDMG3qZEZWU44mHu"),  # sACRED-4
    (54, "BkdSPLmw4W6twrJjAePw2bJAwDTBtxJ9t6LvNHfcBKg1"),  # EURC
    (55, "C41YpBLZfERAbV1p8DD48vDwbYhRQCbiryMx8Vp5sfo4"),  # PT-fragSOL-31OCT25-3
    (56, "5r8RWTaRiMgr9Lph3FTUE3sGb1vymhpCrm83Bovjfcps"),  # PUMP
    (57, "6cvX4Sgcuw53y8yYXLcpAjZ7fn1VcLKojVS23tor9sVx"),  # syrupUSDC
    (58, "BmU3Hp9SZn77dUhWuED3ySuV3HenBgCoPZZP58M2ZMCr"),  # LBTC
    (59, "4HTDpcHAwBTHCJLNMwT35w4FGc4nfA4YhT1BkcZQwQ2m"),  # 2Z
    (60, "HN7qfUNM5Q7gQTwyEucmYdCF4CjwUrspj3DbNQ4V8P52"),  # MET
    (61, "AK6coxSjfAnuDT4ZUSP3UpeQe2G1tKcALnsdd835eg7T"),  # CASH
    (62, "Hk34ANkHfu4LHJhACMNCPNgGbi5ixpom2e3T7oh7EPDG"),  # USD1
)
DEVNET_SPOT: tuple[tuple[int, str], ...] = (
    (0, "9VCioxmni2gDLv11qufWzT3RDERhQE4iY5Gf7NTfYyAV"),  # USDC
    (1, "3m6i4RFWEDw2Ft4tFHPJtYgmpPe21k56M3FHeWYrgGBz"),  # SOL
    (2, "486kr3pmFPfTsS4aZgcsQ7kS4i9rjMsYYZup6HQNSTT4"),  # BTC
    (3, "HpMoKp3TCd3QT4MWYUKk2zCBwmhr5Df45fB6wdxYqEeh"),  # Default Market Name
    (4, "GojbSnJuPdKDT1ZuHuAM5t9oz6bxTo1xhUKpTua2F72p"),  # Bonk
    (5, "5Mb11e5rt1Sp6A286B145E4TmgMzsM2UX9nCF2vas5bs"),  # JLP
    (6, "En8hkHLkRe9d9DraYmBTrus518BvmVH448YcvmrFM6Ce"),  # USDC
    (7, "4wFrjUQHzRBc6qjVtMDbt28aEVgn6GaNiWR6vEff4KxR"),  # PLXY
    (8, "4wFrjUQHzRBc6qjVtMDbt28aEVgn6GaNiWR6vEff4KxR"),  # GLXY
)
NO_ORACLE = str(Pubkey.default())
"""A QuoteAsset spot market's oracle (USDC on devnet): no oracle account is passed."""


def _pda(seed: bytes, index: int) -> bytes:
    return bytes(Pubkey.find_program_address([seed, index.to_bytes(2, "little")], P.DRIFT_V2)[0])


@cache
def market_accounts() -> frozenset[bytes]:
    """Every Drift perp and spot market account and every oracle of the table."""
    out: set[bytes] = set()
    for seed, table in (
        (b"perp_market", MAINNET_PERP + DEVNET_PERP),
        (b"spot_market", MAINNET_SPOT + DEVNET_SPOT),
    ):
        for index, oracle in table:
            out.add(_pda(seed, index))
            if oracle != NO_ORACLE:
                out.add(bytes(Pubkey.from_string(oracle)))
    return frozenset(out)
