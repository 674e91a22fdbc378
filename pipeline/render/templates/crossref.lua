-- Quarto-style cross references for plain pandoc (the embedded renderer).
-- Numbers figures (#fig-...) and tables (#tbl-...) in document order, prefixes their
-- captions with "Figure N:" / "Table N:", turns @fig-x / @tbl-x citations into links,
-- and maps Quarto's fig-alt attribute onto the image's alt text.

local numbers = {}
local counters = { fig = 0, tbl = 0 }
local names = { fig = "Figure", tbl = "Table" }

local function kind_of(id)
  if id == nil then return nil end
  return id:match("^(fig)%-") or id:match("^(tbl)%-")
end

local function prefix_caption(caption, kind, n)
  if FORMAT == "typst" then return caption end  -- typst numbers figures and tables itself
  local label = pandoc.Str(names[kind] .. " " .. n .. ":")
  if caption.long and #caption.long > 0 and caption.long[1].content then
    table.insert(caption.long[1].content, 1, pandoc.Space())
    table.insert(caption.long[1].content, 1, label)
  end
  return caption
end

local function number_blocks(doc)
  doc = doc:walk({
    Figure = function(fig)
      local kind = kind_of(fig.identifier)
      if kind then
        counters[kind] = counters[kind] + 1
        numbers[fig.identifier] = { kind = kind, n = counters[kind] }
        fig.caption = prefix_caption(fig.caption, kind, counters[kind])
      end
      return fig
    end,
    Table = function(tbl)
      local kind = kind_of(tbl.identifier)
      if kind then
        counters[kind] = counters[kind] + 1
        numbers[tbl.identifier] = { kind = kind, n = counters[kind] }
        tbl.caption = prefix_caption(tbl.caption, kind, counters[kind])
      end
      return tbl
    end,
    Image = function(img)
      local alt = img.attributes["fig-alt"]
      if alt then
        img.attributes["fig-alt"] = nil
        img.attributes["alt"] = alt
      end
      return img
    end,
  })
  return doc
end

local function resolve_refs(doc)
  return doc:walk({
    Cite = function(cite)
      local id = cite.citations[1].id
      local entry = numbers[id]
      if entry then
        return pandoc.Link({ pandoc.Str(names[entry.kind] .. "\u{a0}" .. entry.n) }, "#" .. id)
      end
      if kind_of(id) then
        return pandoc.Strong({ pandoc.Str("?" .. id) })
      end
      return nil
    end,
  })
end

function Pandoc(doc)
  doc = number_blocks(doc)
  return resolve_refs(doc)
end
