/* The daily meeting's briefing (app/pages/daily.py): status chips and shown words in its grids, printing
   every row, and stepping through the divisions on the meeting-room screen. */
(function () {
    "use strict";

    // AG Grid cell renderers and value formatters the pages name in their column definitions.
    var components = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
    var functions = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

    // A status as a chip: the words, and the tone the server chose (<field>_tone: danger, warning, neutral).
    components.StatusChip = function (props) {
        var tone = (props.data && props.data[props.colDef.field + "_tone"]) || "neutral";
        return React.createElement("span", {className: "status-chip status-chip-" + tone}, props.value);
    };

    // The words the server wrote for a value (<field>_text) while the value itself sorts the column.
    functions.shownText = function (params) {
        var text = params.data && params.data[params.colDef.field + "_text"];
        return text === undefined || text === null ? params.value : text;
    };

    function briefingGrids() {
        var apis = [];
        document.querySelectorAll(".daily-briefing [id]").forEach(function (element) {
            if (element.id.charAt(0) !== "{") { return; }
            var id;
            try { id = JSON.parse(element.id); } catch (ignored) { return; }
            if (id.type !== "grid") { return; }
            try { apis.push(window.dash_ag_grid.getApi(id)); } catch (ignored) { /* not drawn yet */ }
        });
        return apis;
    }

    // A count in the summary opens its list: the list is brought into view and takes the focus (so a
    // keyboard or screen-reader user lands on it too), whatever the grids above are still drawing.
    document.addEventListener("click", function (event) {
        var link = event.target.closest && event.target.closest("a.briefing-count");
        if (!link) { return; }
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        event.preventDefault();
        window.history.replaceState(window.history.state, "", link.getAttribute("href"));
        target.scrollIntoView({block: "start"});
        target.focus({preventScroll: true});
    });

    window.daperfBriefing = {
        // Every row of every list on paper: the grids page their rows on screen.
        print: function (clicks) {
            if (!clicks) { return window.dash_clientside.no_update; }
            var grids = briefingGrids();
            grids.forEach(function (api) {
                api.setGridOption("pagination", false);
                api.setGridOption("domLayout", "print");
            });
            var restore = function () {
                window.removeEventListener("afterprint", restore);
                grids.forEach(function (api) {
                    api.setGridOption("domLayout", "autoHeight");
                    api.setGridOption("pagination", true);
                });
            };
            window.addEventListener("afterprint", restore);
            // Two frames: the grids lay out every row before the print dialog takes the page.
            window.requestAnimationFrame(function () {
                window.requestAnimationFrame(function () { window.print(); });
            });
            return clicks;
        },
        // The previous or next division offered, wrapping round.
        step: function (back, next, value, options) {
            var triggered = window.dash_clientside.callback_context.triggered_id || "";
            var values = (options || []).map(function (o) { return o.value; }).filter(function (v) { return v; });
            if (!values.length) { return window.dash_clientside.no_update; }
            var at = values.indexOf(value);
            var move = String(triggered).indexOf("previous") >= 0 ? -1 : 1;
            return values[(at + move + values.length) % values.length];
        }
    };
}());
