// The reviewer UI's one script besides htmx, served as a static file so
// that the Content-Security-Policy allows no inline script. It adds the
// CSRF token to htmx requests, pauses polling in hidden tabs, counts a
// claimed case's lease down and keeps it alive while the tab is visible,
// and handles the keyboard shortcuts (never while the reviewer types).
// Further down: the decision form's reason templates, the countdown of an
// offer to undo a decision, the break reminder, and a case's content.
(function () {
  'use strict';

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';

  // htmx requests carry the session's CSRF token as a header.
  document.addEventListener('htmx:configRequest', function (e) {
    if (csrf) {
      e.detail.headers['X-CSRF-Token'] = csrf;
    }
  });
  // Polls (data-poll) skip their turn while the tab is hidden.
  document.addEventListener('htmx:beforeRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (document.hidden && elt && elt.hasAttribute('data-poll')) {
      e.preventDefault();
    }
  });

  // The lease of a claimed case: a countdown, and a heartbeat every 30 s
  // (and on returning to the tab) while the tab is visible. A lost lease
  // hides the countdown, shows why, and disables the decision form.
  var lease = document.querySelector('[data-lease]');
  if (lease) {
    var left = lease.querySelector('[data-lease-left]');
    var lostMsg = document.querySelector('[data-lease-lost]');
    var url = lease.getAttribute('data-lease-url');
    var deadline = Date.now() + Number(lease.getAttribute('data-lease-seconds')) * 1000;
    var tick, beat;
    var lost = function () {
      clearInterval(tick);
      clearInterval(beat);
      lease.hidden = true;
      if (lostMsg) {
        lostMsg.hidden = false;
      }
      document.querySelectorAll('[data-decide-form] button[type="submit"]').forEach(function (b) {
        b.disabled = true;
      });
    };
    var show = function () {
      var s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var m = Math.floor(s / 60);
      left.textContent = m + ':' + String(s % 60).padStart(2, '0');
      if (s <= 0) {
        lost();
      }
    };
    var heartbeat = function () {
      if (document.hidden) {
        return;
      }
      fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf, 'X-Haechi-Background': '1' } })
        .then(function (r) {
          return r.json().then(function (body) {
            if (r.ok) {
              deadline = Date.now() + body.seconds * 1000;
            } else if (body.lost) {
              lost();
            }
          });
        })
        .catch(function () { /* offline: the countdown shows what is left */ });
    };
    show();
    tick = setInterval(show, 1000);
    beat = setInterval(heartbeat, 30000);
    document.addEventListener('visibilitychange', heartbeat);
  }

  // Keyboard shortcuts.
  var dialog = document.getElementById('shortcuts');
  document.querySelectorAll('[data-shortcuts-open]').forEach(function (b) {
    b.addEventListener('click', function () {
      if (dialog) {
        dialog.showModal();
      }
    });
  });
  var nonText = { radio: 1, checkbox: 1, button: 1, submit: 1, reset: 1 };
  var typing = function (el) {
    if (!el || !el.tagName) {
      return false;
    }
    if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') {
      return true;
    }
    return el.tagName === 'INPUT' && !nonText[el.type];
  };
  var current = -1;
  var select = function (i) {
    var items = document.querySelectorAll('[data-nav-item]');
    if (!items.length) {
      return;
    }
    current = Math.max(0, Math.min(items.length - 1, i));
    items.forEach(function (el) { el.classList.remove('selected'); });
    var el = items[current];
    el.classList.add('selected');
    var link = el.querySelector('[data-nav-link]');
    (link || el).focus();
    el.scrollIntoView({ block: 'nearest' });
  };
  var reasonField = null;
  document.addEventListener('keyup', function (e) {
    if (e.key === 'r' && reasonField) {
      reasonField.focus();
      reasonField = null;
    }
  });
  document.addEventListener('keydown', function (e) {
    var form = e.target && e.target.closest ? e.target.closest('[data-decide-form]') : null;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && form) {
      e.preventDefault();
      form.requestSubmit();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target)) {
      return;
    }
    if (e.key === '?') {
      e.preventDefault();
      if (dialog) {
        if (dialog.open) {
          dialog.close();
        } else {
          dialog.showModal();
        }
      }
      return;
    }
    if (dialog && dialog.open) {
      return;
    }
    if (e.key === 'j' || e.key === 'k') {
      e.preventDefault();
      select(current + (e.key === 'j' ? 1 : -1));
    } else if (e.key === 'o') {
      var items = document.querySelectorAll('[data-nav-item]');
      var link = current >= 0 && items[current] ? items[current].querySelector('[data-nav-link]') : null;
      if (link) {
        link.click();
      }
    } else if (/^[1-9]$/.test(e.key)) {
      var radio = document.querySelector('[data-outcome-key="' + e.key + '"]');
      if (radio) {
        e.preventDefault();
        radio.checked = true;
        radio.focus();
        radio.dispatchEvent(new Event('change', { bubbles: true }));
      }
    } else if (e.key === 'r') {
      // The reason takes the focus when the key comes up, so that the
      // r itself is never typed into it.
      reasonField = document.querySelector('[data-decide-form] textarea[name="reason"]');
      if (reasonField) {
        e.preventDefault();
      }
    } else if (e.key === 'u') {
      var undo = document.querySelector('[data-undo]:not([hidden]) button[type="submit"]');
      if (undo) {
        e.preventDefault();
        undo.click();
      }
    }
  });
})();

// The decision form (decide.go, reasons.go): picking a reason template
// puts its text after what the reviewer wrote, and picking another (as
// arrowing through the list does) replaces it, until the reviewer types;
// the list shows the templates of the outcome chosen. An offer to undo
// the decision just recorded (undo.go) counts down, then goes.
(function () {
  'use strict';

  var tpl = document.querySelector('[data-reason-template]');
  var reason = document.getElementById('reason');
  if (tpl && reason) {
    var base = null;
    reason.addEventListener('input', function () { base = null; });
    tpl.addEventListener('change', function () {
      if (base === null) {
        base = reason.value.replace(/\s+$/, '');
      }
      reason.value = !tpl.value ? base : (base ? base + '\n' + tpl.value : tpl.value);
    });
    var outcomes = document.querySelectorAll('[data-decide-form] input[name="outcome"]');
    var filter = function () {
      var checked = document.querySelector('[data-decide-form] input[name="outcome"]:checked');
      tpl.querySelectorAll('optgroup').forEach(function (g) {
        g.hidden = !!checked && g.getAttribute('data-template-outcome') !== checked.value;
        g.disabled = g.hidden;
      });
    };
    outcomes.forEach(function (r) { r.addEventListener('change', filter); });
    filter();
  }
  // An action on the account is offered only after the outcomes it may
  // follow (removing the content).
  var also = document.querySelector('[data-also-after]');
  if (also) {
    var after = also.getAttribute('data-also-after').split(' ');
    var allow = function () {
      var checked = document.querySelector('[data-decide-form] input[name="outcome"]:checked');
      also.disabled = !checked || after.indexOf(checked.value) < 0;
    };
    document.querySelectorAll('[data-decide-form] input[name="outcome"]').forEach(function (r) {
      r.addEventListener('change', allow);
    });
    allow();
  }

  var undo = document.querySelector('[data-undo]');
  if (undo) {
    var left = undo.querySelector('[data-undo-left]');
    var end = Date.now() + Number(undo.getAttribute('data-undo-seconds')) * 1000;
    var tick = setInterval(function () {
      var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      left.textContent = String(s);
      if (s <= 0) {
        clearInterval(tick);
        undo.hidden = true;
      }
    }, 1000);
  }
})();

// The break reminder (wellbeing.go): shown when it falls due, even on a
// page that stays open; "snooze" and "dismiss" keep it away for a while
// in a cookie the server reads, on the server's clock.
(function () {
  'use strict';

  var banner = document.querySelector('[data-break]');
  if (!banner) {
    return;
  }
  var skew = Number(banner.getAttribute('data-server-now')) - Date.now();
  var timer = null;
  var showIn = function (ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { banner.hidden = false; }, ms);
  };
  var silence = function (ms) {
    var until = Date.now() + skew + ms;
    document.cookie = 'haechi_break=' + until + '; path=/ui/; max-age=86400; samesite=strict' +
      (location.protocol === 'https:' ? '; secure' : '');
    banner.hidden = true;
    showIn(ms);
  };
  var due = Number(banner.getAttribute('data-break-in-ms'));
  if (due > 0) {
    showIn(due);
  }
  banner.querySelector('[data-break-snooze]').addEventListener('click', function () {
    silence(Number(banner.getAttribute('data-snooze-ms')));
  });
  banner.querySelector('[data-break-dismiss]').addEventListener('click', function () {
    silence(Number(banner.getAttribute('data-again-ms')));
  });
})();

// The content of a case (content.go, image.go). Images arrive blurred and
// greyscale; a click on the image or its button loads the original, which
// the server writes to the audit log, and blurs it again after
// data-reblur-ms (10 s), or at once when the tab is hidden. "Show colour"
// lifts the greyscale of the original. Content that htmx swaps in after a
// reveal takes the focus, so keyboard and screen-reader users land on
// what they asked to see.
(function () {
  'use strict';

  // The header's count of today's reveals, one more once an original
  // image has arrived (the server counted it in the audit log).
  var counted = function () {
    var n = document.querySelector('#reveals-today [data-reveal-count]');
    if (n) {
      n.textContent = String(Number(n.textContent) + 1);
    }
  };

  var looks = 0;
  var setUpImage = function (fig) {
    var img = fig.querySelector('[data-preview-image]');
    var button = fig.querySelector('[data-show-original]');
    var colour = fig.querySelector('[data-colour]');
    var delay = Number(fig.getAttribute('data-reblur-ms')) || 10000;
    var timer = null;
    var pending = false;
    var blur = function () {
      clearTimeout(timer);
      timer = null;
      pending = false;
      fig.classList.remove('original');
      img.src = fig.getAttribute('data-blurred-src');
      img.alt = fig.getAttribute('data-alt-blurred');
      button.setAttribute('aria-pressed', 'false');
      button.textContent = fig.getAttribute('data-label-show');
    };
    var show = function () {
      if (timer !== null) {
        blur();
        return;
      }
      looks++;
      pending = true;
      // A URL of its own each time: a browser reuses an image it holds
      // under the same URL whatever its Cache-Control says, and every
      // look must reach the server and its audit log.
      img.src = fig.getAttribute('data-original-src') + '?look=' + Date.now() + '-' + looks;
      img.alt = fig.getAttribute('data-alt-original');
      fig.classList.add('original');
      button.setAttribute('aria-pressed', 'true');
      button.textContent = fig.getAttribute('data-label-hide');
      timer = setTimeout(blur, delay);
    };
    img.addEventListener('load', function () {
      if (pending && fig.classList.contains('original')) {
        pending = false;
        counted();
      }
    });
    img.addEventListener('click', show);
    button.addEventListener('click', show);
    if (colour) {
      colour.addEventListener('change', function () {
        fig.classList.toggle('colour', colour.checked);
      });
    }
    document.addEventListener('visibilitychange', function () {
      if (document.hidden && timer !== null) {
        blur();
      }
    });
  };
  document.querySelectorAll('[data-image-preview]').forEach(setUpImage);

  document.addEventListener('htmx:load', function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.id === 'content') {
      elt.querySelectorAll('[data-image-preview]').forEach(setUpImage);
      elt.focus();
    }
  });
})();
