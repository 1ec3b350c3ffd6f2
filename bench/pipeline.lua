-- wrk script: sends 16 pipelined GET requests per write (as in the common web-framework benchmarks).
init = function(args)
  local path = args[1] or "/plaintext"
  local r = {}
  for i = 1, 16 do
    r[i] = wrk.format(nil, path)
  end
  req = table.concat(r)
end

request = function()
  return req
end
