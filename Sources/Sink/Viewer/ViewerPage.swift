/// The viewer's page: one document with its style and script inline, so it needs no build step and
/// nothing from another host. It carries the board's snapshot at the time it was served (drawn at
/// once, before the stream connects), opens `/events`, keeps a card per node (the newest answered frame as
/// `/frame/NODE.png`, the top class, latency, bytes, drops and errors, and charts of the last points),
/// and reconnects by itself (EventSource does) starting again from a snapshot. Text from the wire is
/// set as text, never as markup. Chart colours are fixed (latency orange, bytes blue) so a screenshot
/// can be checked for them.
enum ViewerPage {
    static let latencyColour = (r: 0xFF, g: 0x7F, b: 0x0E)
    static let bytesColour = (r: 0x1F, g: 0x77, b: 0xB4)

    /// The page with `snapshot` (the board's JSON) inside. Every `<` in it (only ever inside a JSON string) is
    /// written `\u003c`, so no text from the wire (`</script>`, `<!--<script>`) can end or change the data block.
    static func html(snapshot: String) -> String {
        template.replacingOccurrences(of: "SNAPSHOT_JSON", with: snapshot.replacingOccurrences(of: "<", with: "\\u003c"))
    }

    private static let template = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Ladon: live results</title>
        <style>
          body { margin: 0; font: 14px/1.4 sans-serif; background: #f4f4f4; color: #222; }
          header { display: flex; gap: 24px; align-items: baseline; padding: 10px 16px; background: #222; color: #eee; }
          header h1 { font-size: 18px; margin: 0; }
          #status.live { color: #7c7; } #status.down { color: #e77; }
          #nodes { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; }
          .node { background: #fff; border: 1px solid #ccc; padding: 10px; }
          .node h2 { font-size: 15px; margin: 0 0 6px; }
          .node img { display: block; background: #282828; }
          .facts { margin: 6px 0; font-variant-numeric: tabular-nums; }
          .facts b { font-weight: 600; }
          .error { color: #b00; }
          canvas { display: block; margin-top: 4px; }
        </style>
        </head>
        <body>
        <header><h1>Ladon: live results</h1><span id="status">connecting</span><span id="totals"></span></header>
        <div id="nodes"></div>
        <script id="snapshot" type="application/json">SNAPSHOT_JSON</script>
        <script>
        "use strict";
        const HISTORY = 120, LATENCY = "#ff7f0e", BYTES = "#1f77b4";
        const boards = new Map();

        function element(tag, className, parent) {
          const node = document.createElement(tag);
          if (className) node.className = className;
          parent.appendChild(node);
          return node;
        }

        function board(name) {
          if (boards.has(name)) return boards.get(name);
          const card = element("div", "node", document.getElementById("nodes"));
          element("h2", "", card).textContent = name;
          const b = { card, history: [], loading: false, wanted: null,
            image: element("img", "", card), facts: element("div", "facts", card), objects: element("div", "facts", card),
            latency: element("canvas", "", card), bytes: element("canvas", "", card) };
          b.image.alt = "newest answered frame of " + name;
          b.image.onload = b.image.onerror = () => { b.loading = false; if (b.wanted) show(b, b.wanted); };
          for (const canvas of [b.latency, b.bytes]) { canvas.width = 640; canvas.height = 110; }
          boards.set(name, b);
          return b;
        }

        // One picture request at a time per node: a fast stream never queues more than the newest.
        function show(b, url) {
          if (b.loading) { b.wanted = url; return; }
          b.loading = true; b.wanted = null; b.image.src = url;
        }

        function apply(update) {
          const b = board(update.node);
          const top = update.top_class ? update.top_class + " " + (100 * update.top_score).toFixed(1) + " %" : "-";
          const latency = update.latency_ms === undefined ? "-" : update.latency_ms.toFixed(1) + " ms";
          b.facts.textContent = "";
          for (const [label, value] of [["top class", top], ["frame", "#" + update.sequence], ["latency", latency],
                                        ["bytes", update.bytes.toLocaleString("en")], ["drops", update.drops],
                                        ["errors", update.errors], ["results", update.frames]]) {
            element("b", "", b.facts).textContent = label + " ";
            b.facts.appendChild(document.createTextNode(value + "   "));
          }
          b.last = update;
          b.card.dataset.sequence = update.sequence;
          b.card.dataset.drops = update.drops;
          b.objects.className = update.error ? "facts error" : "facts";
          b.objects.textContent = update.error ? "error: " + update.error
            : "objects: " + (update.objects.map(o => o.count > 1 ? o.name + " ×" + o.count : o.name).join(", ") || "none");
          if (!update.error) show(b, "/frame/" + encodeURIComponent(update.node) + ".png?s=" + update.sequence);
          chart(b.latency, b.history, "ms", LATENCY, "latency, ms");
          chart(b.bytes, b.history, "b", BYTES, "bytes per frame");
          totals();
        }

        function chart(canvas, points, key, colour, title) {
          const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 18;
          g.clearRect(0, 0, w, h);
          g.fillStyle = "#fafafa"; g.fillRect(0, 0, w, h);
          const values = points.map(p => p[key]).filter(v => v !== undefined);
          const top = Math.max(1, ...values) * 1.1;
          g.fillStyle = "#555"; g.font = "12px sans-serif";
          g.fillText(title + " (max " + Math.round(Math.max(0, ...values)).toLocaleString("en") + ")", 4, 12);
          g.strokeStyle = colour; g.lineWidth = 3; g.beginPath();
          let started = false;
          points.forEach((p, i) => {
            if (p[key] === undefined) return;
            const x = 4 + (w - 8) * i / Math.max(1, HISTORY - 1), y = h - 4 - (h - pad - 4) * p[key] / top;
            if (started) g.lineTo(x, y); else { g.moveTo(x, y); started = true; }
          });
          g.stroke();
        }

        function totals() {
          const all = [...boards.values()].filter(b => b.last);
          const sum = key => all.reduce((total, b) => total + b.last[key], 0);
          document.getElementById("totals").textContent = all.length + (all.length === 1 ? " node, " : " nodes, ")
            + sum("frames") + " results, " + sum("drops") + " drops, " + sum("errors") + " errors";
        }

        function start(snapshot) {
          for (const node of snapshot.nodes) { board(node.update.node).history = node.history; apply(node.update); }
        }

        start(JSON.parse(document.getElementById("snapshot").textContent));
        const source = new EventSource("/events");
        const status = document.getElementById("status");
        source.onopen = () => { status.textContent = "live"; status.className = "live"; };
        source.onerror = () => { status.textContent = "reconnecting"; status.className = "down"; };
        source.addEventListener("snapshot", event => start(JSON.parse(event.data)));
        source.addEventListener("update", event => {
          const update = JSON.parse(event.data);
          const b = board(update.node);
          b.history.push({ s: update.sequence, ms: update.latency_ms, b: update.bytes });
          if (b.history.length > HISTORY) b.history.splice(0, b.history.length - HISTORY);
          apply(update);
        });
        </script>
        </body>
        </html>
        """
}
