// Adds a "Chat with us" launcher to any page: <script src="https://HITL/chat/embed.js" defer></script>
"use strict";
(function () {
  var script = document.currentScript;
  var origin = new URL(script ? script.src : "/chat/embed.js", location.href).origin;
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "Chat with us";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "hitl-chat-frame");
  var s = button.style;
  s.position = "fixed"; s.right = "1rem"; s.bottom = "1rem"; s.zIndex = "2147483647";
  s.padding = "0.6rem 1rem"; s.border = "0"; s.borderRadius = "2rem";
  s.background = "#1d4e89"; s.color = "#fff"; s.font = "16px system-ui, sans-serif";
  var frame = document.createElement("iframe");
  frame.id = "hitl-chat-frame";
  frame.title = "Chat with us";
  frame.src = origin + "/chat";
  frame.hidden = true;
  var f = frame.style;
  f.position = "fixed"; f.right = "1rem"; f.bottom = "4.5rem"; f.zIndex = "2147483647";
  f.width = "min(24rem, calc(100vw - 2rem))"; f.height = "min(36rem, calc(100vh - 6rem))";
  f.border = "1px solid #c8c8c2"; f.borderRadius = "8px"; f.background = "#fff";
  button.addEventListener("click", function () {
    frame.hidden = !frame.hidden;
    button.setAttribute("aria-expanded", String(!frame.hidden));
    if (!frame.hidden) frame.focus();
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
