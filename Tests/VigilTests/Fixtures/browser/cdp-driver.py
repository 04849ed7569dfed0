#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol on --remote-debugging-pipe (fd 3 in,
fd 4 out, NUL-terminated JSON), for the status page's browser test.

    cdp-driver.py CHROMIUM PLAN.json WORKDIR

PLAN is {"headers": {...}, "steps": [...]}; the headers (e.g. Authorization) are sent with
every request the page makes, as a browser resends the basic-auth credentials it holds.
Steps, in order:
    {"navigate": URL}                         load URL and wait for document.readyState == complete
    {"wait": JS, "timeout": s}                poll JS until it is truthy (bounded)
    {"eval": JS, "name": N}                   evaluate JS (promises awaited); result stored as N
    {"screenshot": PATH, "width": W}          full-page PNG at width W (CSS px)
    {"dom": PATH}                             the serialized DOM after scripts ran
    {"problems": N}                           what went wrong on the page so far, stored as N (a list): console
                                              messages of level warning or error, Log.entryAdded entries
                                              (warning, error), Runtime.exceptionThrown, the page's
                                              securitypolicyviolation events and Audits issues (CSP among them)
Prints {"results": {N: value}, "error": null | text} on stdout. Every wait has a deadline.
"""
import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import time


LISTEN_FOR_VIOLATIONS = """
window.__vigilViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__vigilViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


class Browser:
    def __init__(self, chromium, workdir):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Out of the way of 3 and 4, so the dup2 calls below cannot clobber each other.
        self.child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 100)
        self.child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 100)
        os.close(to_child_r)
        os.close(from_child_w)
        self.write_fd, self.read_fd = to_child_w, from_child_r
        child_in, child_out = self.child_in, self.child_out

        def fds():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        log = open(os.path.join(workdir, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--disable-extensions", "--remote-debugging-pipe", "--user-data-dir=" + os.path.join(workdir, "profile"),
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=fds, pass_fds=(3, 4))
        os.close(self.child_in)
        os.close(self.child_out)
        self.buffer = b""
        self.next_id = 0
        self.session = None
        self.problems = []

    def event(self, method, params):
        """Keeps what a clean page never produces; everything else is ignored."""
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            args = [a.get("value", a.get("description", "")) for a in params.get("args", [])]
            self.problems.append("console.%s: %s" % (params["type"], " ".join(str(a) for a in args)))
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.problems.append("exception: %s %s" % (d.get("text", ""), d.get("exception", {}).get("description", "")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("warning", "error"):
            e = params["entry"]
            self.problems.append("log %s (%s): %s %s" % (e.get("level"), e.get("source"), e.get("text", ""), e.get("url", "")))
        elif method == "Audits.issueAdded":
            issue = params.get("issue", {})
            self.problems.append("audit %s: %s" % (issue.get("code"), json.dumps(issue.get("details", {}))[:400]))

    def call(self, method, params=None, timeout=20):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if "method" in reply and "id" not in reply:
                    self.event(reply["method"], reply.get("params", {}))
                    continue
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError("%s: %s" % (method, reply["error"]))
                    return reply.get("result", {})
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("%s: no answer within %ss" % (method, timeout))
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe (see chromium.log)")
                self.buffer += chunk

    def evaluate(self, expression, timeout=20):
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True},
                           timeout=timeout)
        if "exceptionDetails" in result:
            raise RuntimeError("script failed: %s" % json.dumps(result["exceptionDetails"])[:500])
        return result.get("result", {}).get("value")

    def wait(self, expression, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression, timeout=max(1, deadline - time.monotonic())):
                    return
            except RuntimeError as e:  # a page navigating away mid-poll: try again, within the deadline
                last = e
            time.sleep(0.05)
        raise RuntimeError("still false after %ss: %s%s" % (timeout, expression, " (last: %s)" % last if last else ""))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def main():
    chromium, plan_file, workdir = sys.argv[1:4]
    plan = json.load(open(plan_file))
    results, error = {}, None
    browser = Browser(chromium, workdir)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        browser.session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.call("Page.enable")
        browser.call("Network.enable")
        browser.call("Runtime.enable")
        browser.call("Log.enable")
        browser.call("Audits.enable")
        # Every document records its CSP violations, before any of its own scripts run.
        browser.call("Page.addScriptToEvaluateOnNewDocument", {"source": LISTEN_FOR_VIOLATIONS})
        if plan.get("headers"):
            browser.call("Network.setExtraHTTPHeaders", {"headers": plan["headers"]})
        browser.call("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        for step in plan["steps"]:
            if "navigate" in step:
                browser.call("Page.navigate", {"url": step["navigate"]})
                time.sleep(0.1)
                browser.wait("document.readyState === 'complete' && !!document.body", 20)
            elif "wait" in step:
                browser.wait(step["wait"], step.get("timeout", 10))
            elif "eval" in step:
                results[step["name"]] = browser.evaluate(step["eval"], timeout=step.get("timeout", 20))
            elif "screenshot" in step:
                width = step.get("width", 1100)
                mobile = width < 600
                browser.call("Emulation.setDeviceMetricsOverride",
                             {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile})
                height = browser.evaluate("Math.ceil(document.documentElement.scrollHeight)") or 900
                browser.call("Emulation.setDeviceMetricsOverride",
                             {"width": width, "height": min(int(height), 6000), "deviceScaleFactor": 1, "mobile": mobile})
                shot = browser.call("Page.captureScreenshot", {"format": "png"}, timeout=30)
                with open(step["screenshot"], "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
                browser.call("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            elif "problems" in step:
                # The page's own record of violations (the listener above), then what DevTools heard.
                seen = browser.evaluate("JSON.stringify(window.__vigilViolations || [])")
                results[step["problems"]] = ["csp: " + v for v in json.loads(seen or "[]")] + list(browser.problems)
            elif "dom" in step:
                with open(step["dom"], "w") as f:
                    f.write(browser.evaluate("document.documentElement.outerHTML"))
            else:
                raise RuntimeError("unknown step %r" % step)
    except Exception as e:  # reported to the test, which fails with it
        error = str(e)
    finally:
        browser.close()
    print(json.dumps({"results": results, "error": error}))


if __name__ == "__main__":
    main()
