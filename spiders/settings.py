"""Scrapy settings for qun's spiders: polite by default (robots.txt, delays, honest User-Agent)."""

import os

BOT_NAME = "qun"
SPIDER_MODULES = ["qun.spiders.spiders"]
NEWSPIDER_MODULE = "qun.spiders.spiders"

# Identity and politeness
QUN_CONTACT = os.environ.get("QUN_CONTACT", "https://github.com/qun-project/qun")
USER_AGENT = f"qun/0.1 (research crawler; +{QUN_CONTACT})"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
# each wait drawn between 0.5 and 1.5 times DOWNLOAD_DELAY: Scrapy >= 2.19 reads the jitter from
# DOWNLOAD_DELAY_JITTER; older versions do the same through RANDOMIZE_DOWNLOAD_DELAY's default
DOWNLOAD_DELAY_JITTER = 0.5
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Failures: retry transient ones, give up on the rest and record them
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 25 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
HTTPERROR_ALLOW_ALL = False

RETRY_BACKOFF_BASE = 1.0  # seconds; doubled on each retry unless Retry-After says otherwise
RETRY_BACKOFF_MAX = 120.0

# the resolver every connection uses refuses answers that are not globally routable
TWISTED_DNS_RESOLVER = "qun.spiders.resolver.PublicOnlyResolver"

DOWNLOADER_MIDDLEWARES = {
    "qun.spiders.middlewares.PrivateAddressMiddleware": 50,
    "qun.spiders.middlewares.RedirectScopeMiddleware": 51,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "qun.spiders.middlewares.BackoffRetryMiddleware": 550,
    "qun.spiders.middlewares.ConditionalRequestMiddleware": 580,
    "qun.spiders.middlewares.WarcArchiveMiddleware": 585,
}
# Refuse private, loopback and link-local addresses unless set (the demo and tests set it).
QUN_ALLOW_PRIVATE = False

# Output
ITEM_PIPELINES = {
    "qun.spiders.pipelines.ParsePipeline": 100,
    "qun.spiders.pipelines.LanguagePipeline": 200,
    "qun.spiders.pipelines.QualityPipeline": 300,
    "qun.spiders.pipelines.FingerprintPipeline": 400,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "qun.spiders.extensions.CrawlStatsFile": 500,
}
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
