// The chat page: joins examples/chat.lua's room over a WebSocket, shows each line that comes,
// sends what is typed. ?name=NAME joins at once.
const lines = document.getElementById("lines");
const status = document.getElementById("status");
const join = document.getElementById("join");
const say = document.getElementById("say");
let socket;

function connect(name) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/chat?name=${encodeURIComponent(name)}`);
  status.textContent = "connecting…";
  socket.onopen = () => {
    status.textContent = `in the room as ${name}`;
    join.hidden = true;
    say.hidden = false;
    document.getElementById("text").focus();
  };
  socket.onmessage = (event) => {
    const item = document.createElement("li");
    item.textContent = event.data;
    lines.append(item);
    item.scrollIntoView({ block: "nearest" });
  };
  socket.onclose = () => {
    status.textContent = "disconnected: reload the page to join again";
    say.hidden = true;
  };
}

join.onsubmit = (event) => {
  event.preventDefault();
  connect(document.getElementById("name").value);
};

say.onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  socket.send(input.value);
  input.value = "";
};

const name = new URLSearchParams(location.search).get("name");
if (name) connect(name);
