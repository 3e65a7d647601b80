/**
 * The page's inline CSS and script: constants, so they carry no user data (the CSP allows inline
 * style and script only; nothing is fetched). The script filters rows by a search term, by the
 * signature state of a version and by artifact type, and moves between rows with the arrow keys.
 * One pass over the rows per change, touching only rows whose state changes; sections off screen
 * are not laid out (content-visibility), so 500 versions filter within a keystroke.
 */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--ok:#1a7f37;--okbg:#dafbe1;--bad:#cf222e;--badbg:#ffebe9;--nc:#6e7781;--ncbg:#f6f8fa;--un:#8c959f;--err:#9a6700;--errbg:#fff8c5;--focus:#0969da}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:0 1.2rem 3rem;max-width:88rem}
.skip{position:absolute;left:-999px;top:0;background:var(--focus);color:#fff;padding:.4rem .8rem;z-index:9}
.skip:focus{left:.5rem}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
header{padding:1rem 0 .4rem;border-bottom:1px solid var(--line)}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.3rem;margin:1.6rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3{font-size:1.12rem;margin:0 0 .4rem;overflow-wrap:anywhere}
h4{font-size:.98rem;margin:.9rem 0 .3rem}
.meta,.muted{color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;margin:.5rem 0;padding:0;list-style:none}
.controls{display:none;position:sticky;top:0;background:var(--bg);z-index:5;gap:.6rem 1rem;flex-wrap:wrap;align-items:end;padding:.6rem 0;border-bottom:1px solid var(--line)}
.js .controls{display:flex}
.controls label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
.controls input,.controls select{font:inherit;padding:.3rem .45rem;border:1px solid var(--line);border-radius:4px;min-width:16rem;color:var(--fg)}
#count{margin:0;font-size:.9rem}
.graph{overflow:auto;border:1px solid var(--line);border-radius:6px;padding:.4rem;max-height:70vh}
.graph svg{display:block}
.node rect{fill:var(--ncbg);stroke:var(--nc);stroke-width:1.5}
.node text{font:13px system-ui,sans-serif;fill:var(--fg)}
.node .n1{font-weight:600}
.node:focus rect,.node:hover rect{stroke:var(--focus);stroke-width:3}
.node:focus{outline:none}
.st-verified rect{fill:var(--okbg);stroke:var(--ok)}
.st-failed rect{fill:var(--badbg);stroke:var(--bad);stroke-width:2.5}
.st-unsigned rect{fill:#fff;stroke:var(--un);stroke-dasharray:4 3}
.st-error rect{fill:var(--errbg);stroke:var(--err)}
.edge{stroke:var(--muted);stroke-width:1.3;fill:none}
.arrowhead{fill:var(--muted)}
section.cv{border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:1rem 0;content-visibility:auto;contain-intrinsic-size:auto 600px}
section.cv:target{box-shadow:0 0 0 3px var(--focus)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.2rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.2rem 0 .4rem;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:var(--ncbg)}
td{overflow-wrap:anywhere}
tbody tr:focus{outline:2px solid var(--focus);outline-offset:-2px;background:#ddf4ff}
code{font:.85em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.state{font-weight:600;white-space:nowrap}
.state-verified{color:var(--ok)}
.state-failed{color:var(--bad)}
.state-not-checked,.state-unsigned{color:var(--nc)}
.state-error{color:var(--err)}
.badge{display:inline-block;border-radius:10px;padding:0 .5rem;font-size:.82rem;border:1px solid currentColor}
[hidden]{display:none!important}
@media print{
  .controls,.skip,#count,.back{display:none!important}
  body{max-width:none;padding:0;font-size:10.5pt}
  .graph{max-height:none;overflow:visible;border:0}
  .graph svg{max-width:100%;height:auto}
  section.cv{content-visibility:visible;break-inside:auto;border:0;border-top:1px solid #999;border-radius:0;padding:.4rem 0}
  h2,h3,h4,caption{break-after:avoid}
  tr,td,th{break-inside:avoid}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
}
`;

export const SCRIPT = `
(function(){
'use strict';
var d=document;d.documentElement.classList.add('js');
var q=d.getElementById('q'),fs=d.getElementById('f-state'),ft=d.getElementById('f-type'),count=d.getElementById('count');
var sections=Array.prototype.slice.call(d.querySelectorAll('section.cv'));
var rows=[],text=[],sec=[],body=[],type=[],head=[],tab=[];
sections.forEach(function(s,k){
  head.push(s.querySelector('h3').textContent.toLowerCase());
  Array.prototype.forEach.call(s.querySelectorAll('tbody tr'),function(r){
    rows.push(r);tab.push(-1);text.push(r.textContent.toLowerCase());sec.push(k);body.push(r.parentNode);type.push(r.getAttribute('data-type'));
  });
});
function apply(){
  var term=q.value.trim().toLowerCase(),st=fs.value,ty=ft.value,n=sections.length;
  var hit=new Uint8Array(n),art=new Uint8Array(n),okr=new Uint8Array(rows.length),i,k,shown=0,vis=0;
  for(i=0;i<rows.length;i++){
    var ok=(!term||text[i].indexOf(term)>=0)&&(!ty||type[i]===null||type[i]===ty);
    okr[i]=ok?1:0;
    if(rows[i].hidden===ok)rows[i].hidden=!ok;
    if(ok){hit[sec[i]]=1;if(ty&&type[i]===ty)art[sec[i]]=1;}
  }
  var show=new Uint8Array(n);
  for(k=0;k<n;k++){
    var s=sections[k];
    var okState=!st||s.getAttribute('data-state')===st;
    var okText=!term||hit[k]||head[k].indexOf(term)>=0;
    var okType=!ty||art[k];
    show[k]=okState&&okText&&okType?1:0;
    if(s.hidden===!!show[k])s.hidden=!show[k];
    if(show[k])vis++;
  }
  // Roving focus: the first visible row of each table is the table's one tab stop.
  var last=null;
  for(i=0;i<rows.length;i++){
    var on=okr[i]&&show[sec[i]];
    if(on)shown++;
    var ti=-1;if(on&&body[i]!==last){ti=0;last=body[i];}
    if(tab[i]!==ti){rows[i].tabIndex=ti;tab[i]=ti;}
  }
  count.textContent=shown+' of '+rows.length+' rows in '+vis+' of '+n+' component versions shown';
}
q.addEventListener('input',apply);fs.addEventListener('change',apply);ft.addEventListener('change',apply);
q.addEventListener('keydown',function(e){if(e.key==='Escape'){q.value='';apply();}});
d.addEventListener('keydown',function(e){
  var t=e.target;
  if(e.key==='/'&&t!==q&&t.tagName!=='INPUT'&&t.tagName!=='SELECT'){e.preventDefault();q.focus();return;}
  if(t.tagName!=='TR'||(e.key!=='ArrowDown'&&e.key!=='ArrowUp'))return;
  var next=e.key==='ArrowDown'?'nextElementSibling':'previousElementSibling',r=t[next];
  while(r&&r.hidden)r=r[next];
  if(r){e.preventDefault();r.focus();}
});
apply();
})();
`;
