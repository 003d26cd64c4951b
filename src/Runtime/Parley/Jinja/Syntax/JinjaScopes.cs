using System.Collections.Generic;

namespace Parley.Jinja.Syntax
{
    /// <summary>
    /// Which names a body binds, so the emitter and the interpreter scope variables alike: a body's frame (the template,
    /// a for loop, a macro, a with block) holds every name assigned in it or in its if/else, set-block, filter-block and
    /// generation bodies, initialised from the enclosing frame when the frame starts; loops, macros and with blocks open
    /// frames of their own.
    /// </summary>
    internal static class JinjaScopes
    {
        /// <summary>Adds the names <paramref name="body"/> binds in its own frame to <paramref name="names"/>.</summary>
        public static void CollectAssigned(List<JStmt> body, HashSet<string> names)
        {
            foreach (JStmt s in body)
            {
                switch (s)
                {
                    case JSet set:
                        CollectTargets(set.Target, names);
                        if (set.Body is not null) CollectAssigned(set.Body, names);
                        break;
                    case JMacro macro:
                        names.Add(macro.Name);
                        break;
                    case JIf i:
                        foreach (var b in i.Branches) CollectAssigned(b.Value, names);
                        if (i.Else is not null) CollectAssigned(i.Else, names);
                        break;
                    case JFor f:
                        if (f.Else is not null) CollectAssigned(f.Else, names);
                        break;
                    case JFilterBlock fb:
                        CollectAssigned(fb.Body, names);
                        break;
                    case JGeneration g:
                        CollectAssigned(g.Body, names);
                        break;
                }
            }
        }

        /// <summary>Adds the names an assignment target (a name or a tuple of names) binds.</summary>
        public static void CollectTargets(JExpr target, HashSet<string> names)
        {
            if (target is JName n)
            {
                names.Add(n.Name);
            }
            else if (target is JList l)
            {
                foreach (JExpr item in l.Items) CollectTargets(item, names);
            }
        }
    }
}
